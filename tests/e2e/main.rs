//! End-to-end tests: the real server and the release-built page in headless
//! Chromium, driven by role and accessible name, with the API state behind
//! each step read back.
//!
//! Needs `trunk build --release` and Chromium, ChromeDriver and axe-core
//! (`scripts/setup.sh --test`); `scripts/test.sh` does both.

mod harness;
mod page;

mod alerts;
mod cap;
mod delivery;
mod enable_disable;
mod history;
mod live;
mod people;
mod preview;
mod resilience;
mod security;
mod session;
mod stale;
