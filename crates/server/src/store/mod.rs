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
pub use pg::{PgStore, METERING_POOL_SIZE, POOL_SIZE};
pub use rows::*;
pub use sqlite::{SqliteStore, DEFAULT_MAX_BATCH};
pub use traits::{Store, Tx};

use std::fmt;

/// A failure of the database itself (not a refusal): answered as an internal
/// error, or, when the database cannot take writes for now (a full disk, no
/// connection, the writer stopped), as unavailable, to be tried again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError {
    message: String,
    unavailable: bool,
}

impl StoreError {
    /// A failure, in words.
    pub fn new(message: impl Into<String>) -> StoreError {
        StoreError {
            message: message.into(),
            unavailable: false,
        }
    }

    /// The store cannot serve for now (a full disk, no connection): the
    /// same request may well succeed later.
    pub fn unavailable(message: impl Into<String>) -> StoreError {
        StoreError {
            message: message.into(),
            unavailable: true,
        }
    }

    /// Whether this is [`StoreError::unavailable`].
    pub fn is_unavailable(&self) -> bool {
        self.unavailable
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "store: {}", self.message)
    }
}

impl std::error::Error for StoreError {}

/// What every store call answers.
pub type StoreResult<T> = Result<T, StoreError>;
