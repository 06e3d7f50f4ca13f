//! The billing store: every read and write the server makes, behind one trait,
//! on SQLite (embedded, one server) or PostgreSQL (several servers on one
//! database). Nothing outside this folder speaks SQL.
//!
//! `traits.rs` says what a store does ([`Store`], [`Tx`]), `rows.rs` what it
//! reads and writes, `mapping.rs` how a row of either store becomes that,
//! `db.rs` which store a server runs on ([`Db`]).

mod db;
mod mapping;
mod migrations;
mod pg;
mod rows;
mod sqlite;
mod traits;

pub use db::Db;
pub use pg::{PgStore, POOL_SIZE};
pub use rows::*;
pub use sqlite::{SqliteStore, DEFAULT_MAX_BATCH};
pub use traits::{Store, Tx};

use std::fmt;

/// A failure of the database itself (not a refusal): answered as an internal error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError(pub String);

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "store: {}", self.0)
    }
}

impl std::error::Error for StoreError {}

/// What every store call answers.
pub type StoreResult<T> = Result<T, StoreError>;
