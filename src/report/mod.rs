//! Reports over evidence rows: tables, plots, gates and comparisons.

pub mod compare;
pub mod font;
pub mod gallery;
pub mod gate;
pub mod group;
pub mod junit;
pub mod load;
pub mod plot;
pub mod stats;
pub mod table;

#[cfg(test)]
mod fixture;
