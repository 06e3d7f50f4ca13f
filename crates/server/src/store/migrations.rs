//! The one list of schema steps, shared by both stores.
//!
//! Each step is written once per SQL dialect, side by side in `migrations/`
//! (`NNN_name.sqlite.sql`, `NNN_name.postgres.sql`), and listed here once, so
//! the two schemas move together: a step cannot be added to one store only.
//! Each store applies the steps it has not applied yet, in order, at start.

/// One schema step.
pub struct Migration {
    /// `NNN_name`, as its files are named.
    pub name: &'static str,
    /// The step in SQLite's dialect.
    pub sqlite: &'static str,
    /// The step in PostgreSQL's dialect.
    pub postgres: &'static str,
}

macro_rules! migration {
    ($name:literal) => {
        Migration {
            name: $name,
            sqlite: include_str!(concat!("migrations/", $name, ".sqlite.sql")),
            postgres: include_str!(concat!("migrations/", $name, ".postgres.sql")),
        }
    };
}

/// Every step, oldest first. Append only: a step that has run is never edited.
pub const MIGRATIONS: &[Migration] = &[
    migration!("001_init"),
    migration!("002_blocked_usage"),
    migration!("003_running_totals"),
    migration!("004_sessions_slugs_audit"),
    migration!("005_daily_flex"),
    migration!("006_alerts_outbox"),
    migration!("007_audit_detail_dropped"),
    migration!("008_fair_fenced_delivery"),
    migration!("009_platform"),
    migration!("010_openid_sign_in"),
    migration!("011_usage_by_feature"),
    migration!("012_statements"),
    migration!("013_alert_thresholds"),
    migration!("014_platform_webhook"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_step_is_numbered_in_order_and_written_for_both_stores() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert!(
                m.name.starts_with(&format!("{:03}_", i + 1)),
                "{} is step {}",
                m.name,
                i + 1
            );
            assert!(!m.sqlite.trim().is_empty() && !m.postgres.trim().is_empty());
        }
    }
}
