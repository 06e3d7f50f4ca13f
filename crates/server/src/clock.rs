//! The server's "now": the system clock, or, for tests of the demo only
//! (`--clock-file`), the RFC 3339 instant written in a file, read again on
//! every use so a test moves time by rewriting it.

use crate::store::At;
use chrono::NaiveDate;
use std::path::PathBuf;
use std::sync::Arc;

/// Where the time comes from.
#[derive(Clone, Debug, Default)]
pub enum Clock {
    /// The machine's clock: every server outside tests.
    #[default]
    System,
    /// The instant in this file (`--clock-file`, with `--demo` only).
    File(Arc<PathBuf>),
}

impl Clock {
    /// Now, in UTC. A clock file that cannot be read or parsed is said in
    /// the log, and the machine's clock answers meanwhile.
    pub fn now(&self) -> At {
        match self {
            Clock::System => chrono::Utc::now(),
            Clock::File(path) => match read(path) {
                Ok(at) => at,
                Err(why) => {
                    tracing::warn!(
                        "--clock-file {}: {why}; using the system clock",
                        path.display()
                    );
                    chrono::Utc::now()
                }
            },
        }
    }

    /// Today's date (UTC): the billing cycle is worked out from it.
    pub fn today(&self) -> NaiveDate {
        self.now().date_naive()
    }
}

fn read(path: &std::path::Path) -> Result<At, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    chrono::DateTime::parse_from_rfc3339(text.trim())
        .map(|at| at.with_timezone(&chrono::Utc))
        .map_err(|e| format!("{:?} is not an RFC 3339 instant ({e})", text.trim()))
}

#[cfg(test)]
mod tests {
    use super::Clock;
    use std::sync::Arc;

    #[test]
    fn a_clock_file_is_read_on_every_use() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("now");
        let clock = Clock::File(Arc::new(file.clone()));
        std::fs::write(&file, "2026-11-30T23:59:59Z\n").unwrap();
        assert_eq!(clock.now().to_rfc3339(), "2026-11-30T23:59:59+00:00");
        std::fs::write(&file, "2026-12-01T00:00:01+01:00").unwrap();
        assert_eq!(
            clock.today().to_string(),
            "2026-11-30",
            "UTC, not the file's offset"
        );
        std::fs::write(&file, "yesterday").unwrap();
        let now = chrono::Utc::now();
        assert!(
            (clock.now() - now).num_seconds().abs() < 5,
            "the system clock meanwhile"
        );
    }
}
