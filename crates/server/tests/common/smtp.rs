//! An SMTP server over TLS for the tests: Python's aiosmtpd
//! (tests/smtp/server.py, in the tools' virtual environment) on a loopback
//! port, with a certificate made by tests/tls/certs.sh for `localhost`.

use serde_json::Value;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const USER: &str = "alerts@billing.test";
pub const PASSWORD: &str = "p@ss word:1";

/// Whether TLS starts with the first byte or after STARTTLS.
#[derive(Clone, Copy)]
pub enum Mode {
    StartTls,
    Tls,
}

pub struct TlsSmtp {
    child: Child,
    pub port: u16,
    /// The CA that signed the server's certificate (PEM).
    pub ca: PathBuf,
    out: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for TlsSmtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Fresh test certificates in `dir` (ca.crt, server.crt, server.key).
pub fn certificates(dir: &std::path::Path) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/tls/certs.sh");
    let status = Command::new("bash")
        .arg(script)
        .arg(dir)
        .status()
        .expect("bash and openssl");
    assert!(status.success(), "tests/tls/certs.sh made the certificates");
}

impl TlsSmtp {
    pub async fn start(mode: Mode) -> TlsSmtp {
        let dir = tempfile::tempdir().unwrap();
        certificates(dir.path());
        let python = format!("{}/venv/bin/python", super::tools_dir());
        assert!(
            std::path::Path::new(&python).exists(),
            "{python} is missing: run scripts/setup.sh --test"
        );
        let port = super::process::free_port();
        let out = dir.path().join("received.jsonl");
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/smtp/server.py");
        let mut child = Command::new(&python)
            .arg(script)
            .arg(match mode {
                Mode::StartTls => "starttls",
                Mode::Tls => "tls",
            })
            .arg(port.to_string())
            .arg(dir.path().join("server.crt"))
            .arg(dir.path().join("server.key"))
            .args([USER, PASSWORD])
            .arg(&out)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the tools' python (scripts/setup.sh --test)");
        // "ready" once it listens.
        let stdout = child.stdout.take().unwrap();
        let ready = tokio::task::spawn_blocking(move || {
            use std::io::BufRead;
            let mut line = String::new();
            std::io::BufReader::new(stdout).read_line(&mut line).ok();
            line
        });
        let line = tokio::time::timeout(Duration::from_secs(20), ready)
            .await
            .expect("the SMTP server started")
            .unwrap();
        assert_eq!(line.trim(), "ready");
        TlsSmtp {
            child,
            port,
            ca: dir.path().join("ca.crt"),
            out,
            _dir: dir,
        }
    }

    /// What arrived so far, one JSON object per message.
    pub fn received(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.out)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// Waits until `n` messages arrived (panics after `within`).
    pub async fn wait_for(&self, n: usize, within: Duration) -> Vec<Value> {
        let deadline = Instant::now() + within;
        loop {
            let mail = self.received();
            if mail.len() >= n {
                return mail;
            }
            assert!(
                Instant::now() < deadline,
                "{} of {n} messages arrived",
                mail.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
