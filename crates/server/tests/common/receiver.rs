//! A webhook receiver and an SMTP sink on loopback ports, recording what reaches them.

use axum::http::{HeaderMap, StatusCode};
use base64::Engine;
use hmac::Mac;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// One request that reached the receiver.
#[derive(Clone, Debug)]
pub struct Hook {
    pub headers: HeaderMap,
    pub body: String,
}

/// A webhook receiver: answers 500 to the first `failing` requests, then 200.
#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    pub got: Arc<Mutex<Vec<Hook>>>,
}

impl Receiver {
    pub async fn start(failing: usize) -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        Receiver::on(listener, failing)
    }

    pub fn on(listener: tokio::net::TcpListener, failing: usize) -> Receiver {
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let got = Arc::new(Mutex::new(Vec::new()));
        let left = Arc::new(AtomicUsize::new(failing));
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post({
                let got = got.clone();
                move |headers: HeaderMap, body: String| {
                    let got = got.clone();
                    let left = left.clone();
                    async move {
                        got.lock().unwrap().push(Hook { headers, body });
                        let failing = left
                            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                            .is_ok();
                        if failing {
                            StatusCode::INTERNAL_SERVER_ERROR
                        } else {
                            StatusCode::OK
                        }
                    }
                }
            }),
        );
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver { url, got }
    }

    pub fn hooks(&self) -> Vec<Hook> {
        self.got.lock().unwrap().clone()
    }

    /// Waits until `n` requests arrived (panics after `within`).
    pub async fn wait_for(&self, n: usize, within: Duration) -> Vec<Hook> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let hooks = self.hooks();
            if hooks.len() >= n {
                return hooks;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{} of {n} webhook requests arrived",
                hooks.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Checks a request as any Standard Webhooks library would: the signature is
/// HMAC-SHA256, keyed with the secret's base64 part, over `id.timestamp.body`.
pub fn verify(hook: &Hook, secret: &str) -> serde_json::Value {
    let header = |name: &str| hook.headers[name].to_str().unwrap().to_string();
    let (id, timestamp) = (header("webhook-id"), header("webhook-timestamp"));
    let key = base64::engine::general_purpose::STANDARD
        .decode(secret.strip_prefix("whsec_").expect("whsec_ form"))
        .unwrap();
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{timestamp}.{}", hook.body).as_bytes());
    let expected = format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    );
    assert!(
        header("webhook-signature")
            .split(' ')
            .any(|s| s == expected),
        "the signature verifies"
    );
    let age = chrono::Utc::now().timestamp() - timestamp.parse::<i64>().unwrap();
    assert!((0..60).contains(&age), "a fresh timestamp");
    serde_json::from_str(&hook.body).unwrap()
}

/// An SMTP sink: accepts every message and keeps it (envelope recipient, data).
#[derive(Clone)]
pub struct SmtpSink {
    pub url: String,
    pub mail: Arc<Mutex<Vec<(String, String)>>>,
}

impl SmtpSink {
    pub async fn start() -> SmtpSink {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("smtp://{}", listener.local_addr().unwrap());
        let mail = Arc::new(Mutex::new(Vec::new()));
        let kept = mail.clone();
        tokio::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                let kept = kept.clone();
                tokio::spawn(async move {
                    let (read, mut write) = conn.into_split();
                    let mut lines = BufReader::new(read).lines();
                    let _ = write.write_all(b"220 sink ESMTP\r\n").await;
                    let (mut to, mut data, mut in_data) = (String::new(), String::new(), false);
                    while let Ok(Some(line)) = lines.next_line().await {
                        if in_data {
                            if line == "." {
                                in_data = false;
                                kept.lock().unwrap().push((to.clone(), data.clone()));
                                data.clear();
                                let _ = write.write_all(b"250 kept\r\n").await;
                            } else {
                                data.push_str(&line);
                                data.push('\n');
                            }
                            continue;
                        }
                        let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
                        let answer: &[u8] = match verb.as_str() {
                            "EHLO" | "HELO" => b"250-sink\r\n250 8BITMIME\r\n",
                            "RCPT" => {
                                to = line
                                    .split(['<', '>'])
                                    .nth(1)
                                    .unwrap_or_default()
                                    .to_string();
                                b"250 ok\r\n"
                            }
                            "DATA" => {
                                in_data = true;
                                b"354 go on\r\n"
                            }
                            "QUIT" => {
                                let _ = write.write_all(b"221 bye\r\n").await;
                                break;
                            }
                            _ => b"250 ok\r\n",
                        };
                        let _ = write.write_all(answer).await;
                    }
                });
            }
        });
        SmtpSink { url, mail }
    }

    /// Waits until `n` messages arrived.
    pub async fn wait_for(&self, n: usize, within: Duration) -> Vec<(String, String)> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let mail = self.mail.lock().unwrap().clone();
            if mail.len() >= n {
                return mail;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{} of {n} emails arrived",
                mail.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
