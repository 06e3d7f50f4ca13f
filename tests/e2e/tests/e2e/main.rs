//! End-to-end tests: the real server and the release-built page in headless
//! Chromium, driven by role and accessible name, with the API state behind
//! each step read back.
//!
//! A crate of its own (`billing-e2e`, test binary `e2e`), so the page's crate
//! does not depend on the server. Needs the page built into the repository's
//! `dist/` (`scripts/build-page.sh`; `BILLING_E2E_DIST` names another folder)
//! and Chromium, ChromeDriver and axe-core (`scripts/setup.sh --test`);
//! `scripts/test.sh` does both. Without `dist/index.html` every test is
//! skipped and passes, and the run prints one line saying so.

mod harness;
mod page;

mod alerts;
mod cap;
mod delivery;
mod enable_disable;
mod features;
mod history;
mod live;
mod people;
mod platform;
mod preview;
mod resilience;
mod security;
mod session;
mod stale;
mod statements;
mod thresholds;
