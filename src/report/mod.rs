//! Reports over evidence rows: tables, plots, gates and comparisons.

pub mod font;
