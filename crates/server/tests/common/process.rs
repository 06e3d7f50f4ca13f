//! The server as a process of its own, on a database of the test's.

use reqwest::Client;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_billing-server");

pub struct Process {
    pub child: Child,
    pub base: String,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts the server on `db` and waits until it answers.
pub async fn spawn(db: &str, port: u16) -> Process {
    spawn_with(db, port, &[]).await
}

/// [`spawn`] with more flags.
pub async fn spawn_with(db: &str, port: u16, more: &[&str]) -> Process {
    // What it says goes to a file, to be shown if it fails to start.
    let log = std::env::temp_dir().join(format!("billing-server-{port}.log"));
    let mut child = Command::new(BIN)
        .args(["--demo", "--allow-http-webhooks", "--db", db])
        .args(["--addr", &format!("127.0.0.1:{port}")])
        .args(more)
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("a log file"))
        .spawn()
        .expect("start the server");
    let base = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while Client::new()
        .get(format!("{base}/healthz"))
        .send()
        .await
        .is_err()
    {
        assert!(Instant::now() < deadline, "the server did not start");
        if let Some(status) = child.try_wait().unwrap() {
            let said = std::fs::read_to_string(&log).unwrap_or_default();
            panic!("the server on {db} exited at start ({status}): {said}");
        }
        tokio::task::yield_now().await;
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = std::fs::remove_file(&log);
    Process { child, base }
}
