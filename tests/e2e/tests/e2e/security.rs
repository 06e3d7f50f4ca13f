//! The page under its Content-Security-Policy, and changes only from the
//! page's own origin.

use crate::harness::eventually;
use crate::page::{run, Name};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn the_page_runs_under_its_content_security_policy_and_a_violation_is_seen() {
    run("csp", |p| async move {
        let html = reqwest::get(p.app.url("/workspaces/acme/billing"))
            .await
            .expect("GET the page");
        let policy = html
            .headers()
            .get("content-security-policy")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        assert!(
            policy.contains("style-src 'self'") && policy.contains("script-src 'self'"),
            "the page is sent with its policy: {policy:?}"
        );

        // The meter's bar is sized without a `style` attribute, which the policy refuses.
        p.app
            .owner_change(reqwest::Method::POST, "acme", "flex/enable", None)
            .await;
        p.app.meter("acme", "61").await; // 21 flex credits: $84 of $100
        p.sign_in("owner@acme.test", "acme").await;
        p.text("You've used 84% of your $100.00 flex cap").await;
        let width = p
            .js("return document.querySelector('[role=meter] .usage-meter__bar').style.width")
            .await;
        assert_eq!(width, "84%");
        p.check("meter").await; // no violation

        // The listener every check reads does see one.
        p.js("document.body.setAttribute('style', 'outline: 1px solid red')")
            .await;
        let seen = eventually("the violation recorded", || async {
            let v = p.csp_violations().await;
            (v.as_array()?.len() == 1).then_some(v)
        })
        .await;
        assert_eq!(seen[0]["directive"], "style-src-attr", "{seen:#}");
    })
    .await;
}

/// Serves `html` to every request on a loopback port of its own: another
/// origin on the same site as the billing server.
async fn attacker(html: String) -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let task = tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let html = html.clone();
            tokio::spawn(async move {
                let (mut request, mut buf) = (Vec::new(), [0u8; 4096]);
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let response = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n{html}",
                    html.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    (base, task)
}

#[tokio::test]
async fn a_page_on_another_origin_cannot_change_billing_in_a_signed_in_browser() {
    run("cross-origin", |p| async move {
        p.sign_in("owner@acme.test", "globex").await;
        p.get("textbox", Name::Is("Flex cap (per year)")).await;
        let before: Value = p.app.billing("globex").await["flex"].clone();
        assert_eq!(before["enabled"], true);

        // A form posted into an iframe, and a credentialed fetch; each writes
        // a marker once it has settled, whatever the answer.
        let api = p.app.url("/api/workspaces/globex");
        let html = format!(
            r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Win a prize</title><link rel="icon" href="data:,"></head><body>
<iframe name="sink" id="sink" title="sink"></iframe>
<form id="attack" method="POST" action="{api}/flex/disable" target="sink" enctype="text/plain"></form>
<script>
  const done = id => {{ const p = document.createElement('p'); p.id = id; p.textContent = id; document.body.append(p); }};
  document.getElementById('sink').addEventListener('load', () => done('form-done'), {{ once: true }});
  document.getElementById('attack').submit();
  fetch('{api}/flex/cap', {{ method: 'PUT', credentials: 'include',
      headers: {{ 'Content-Type': 'application/json' }}, body: '{{"cap":"5"}}' }})
    .then(() => done('fetch-done'), () => done('fetch-done'));
</script></body></html>"#
        );
        let (base, server) = attacker(html).await;
        assert_ne!(
            base, p.app.base,
            "the attacker is another origin (another port)"
        );
        p.driver.goto(format!("{base}/")).await.expect("navigate");
        eventually("both attempts to settle", || async {
            let settled = p
                .js("return !!document.getElementById('form-done') && !!document.getElementById('fetch-done')")
                .await;
            (settled == true).then_some(())
        })
        .await;
        server.abort();

        assert_eq!(
            p.app.billing("globex").await["flex"],
            before,
            "nothing changed"
        );
    })
    .await;
}
