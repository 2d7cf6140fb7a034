//! Physics: the Rapier world of one episode.
