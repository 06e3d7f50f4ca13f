//! "Alert delivery" in the card: an owner registers a webhook, sees its secret
//! once, and reads in the log that the 80% alert reached the receiver.

use crate::page::{run, Name};
use std::sync::{Arc, Mutex};
use thirtyfour::prelude::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A webhook receiver on a loopback port: answers 200, keeps each request's head.
async fn receiver() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let got = Arc::new(Mutex::new(Vec::new()));
    let kept = got.clone();
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            let kept = kept.clone();
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                // The head, then as much body as Content-Length says.
                loop {
                    let Ok(n) = conn.read(&mut buf).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    request.extend_from_slice(&buf[..n]);
                    let text = String::from_utf8_lossy(&request).to_string();
                    if let Some(end) = text.find("\r\n\r\n") {
                        let length = text
                            .lines()
                            .find_map(|l| {
                                l.to_ascii_lowercase()
                                    .strip_prefix("content-length:")
                                    .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                            })
                            .unwrap_or(0);
                        if request.len() >= end + 4 + length {
                            kept.lock().unwrap().push(text);
                            let _ = conn
                                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                                .await;
                            return;
                        }
                    }
                }
            });
        }
    });
    (url, got)
}

#[tokio::test]
async fn an_owner_registers_a_webhook_and_reads_that_the_alert_reached_it() {
    run("delivery", |p| async move {
        let (url, got) = receiver().await;
        p.app
            .owner_change(reqwest::Method::POST, "acme", "flex/enable", None)
            .await;
        p.sign_in("owner@acme.test", "acme").await;
        p.get("heading", Name::Is("Alert delivery")).await;
        p.text("No alerts sent yet.").await;

        // Not https: refused with a sentence, nothing registered.
        let field = p.get("textbox", Name::Is("Webhook URL")).await;
        field
            .send_keys("http://hooks.example.com/billing")
            .await
            .unwrap();
        p.click("button", "Save webhook").await;
        p.with_text("alert", "Enter an address that starts with https://")
            .await;
        p.check("webhook-refused").await;

        field.send_keys(Key::Control + "a").await.unwrap();
        field.send_keys(url.as_str()).await.unwrap();
        field.send_keys(Key::Enter).await.unwrap();
        let secret = p
            .with_text("status", "Signing secret, shown this once")
            .await;
        let text = secret.text().await.unwrap();
        assert!(text.contains("whsec_"), "{text}");
        p.text(&format!("Webhook: {url}")).await;
        p.get("button", Name::Is("Remove webhook")).await;
        p.check("webhook-secret").await;

        // 40 included and prepaid credits, then 21 flex credits: $84 of $100.
        assert_eq!(p.app.meter("acme", "61").await.0, 200);
        p.text(&format!("80% alert sent to {url}, 200, just now"))
            .await;
        let heads = got.lock().unwrap().clone();
        assert_eq!(heads.len(), 1, "one request");
        assert!(
            heads[0]
                .to_ascii_lowercase()
                .contains("webhook-signature: v1,"),
            "{}",
            heads[0]
        );
        p.check("webhook-sent").await;

        // Admins and members do not manage where alerts go.
        p.sign_in("member@acme.test", "acme").await;
        p.text("Only workspace owners and admins can change Flex Billing.")
            .await;
        assert_eq!(p.count("heading", Name::Is("Alert delivery")).await, 0);
    })
    .await;
}
