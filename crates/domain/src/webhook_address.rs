//! Where alerts may be sent: webhook addresses.

/// Why a webhook address is refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WebhookUrlError {
    /// Not an absolute `https://` address (or `http://` on this machine).
    NotHttps,
    /// Longer than [`MAX_WEBHOOK_URL`].
    TooLong,
}

impl WebhookUrlError {
    /// The error's code in the API.
    pub fn code(&self) -> &'static str {
        "invalid_webhook_url"
    }

    /// In words, for people.
    pub fn message(&self) -> &'static str {
        match self {
            WebhookUrlError::NotHttps => "Enter an address that starts with https:// (http:// only for 127.0.0.1 or localhost, for testing).",
            WebhookUrlError::TooLong => "That address is too long (at most 2,000 characters).",
        }
    }
}

/// The longest webhook address accepted.
pub const MAX_WEBHOOK_URL: usize = 2_000;

/// Checks a webhook address: HTTPS, or HTTP to this machine (for tests).
/// Answers it trimmed.
///
/// ```
/// use billing_domain::webhook_url;
/// assert!(webhook_url("https://hooks.example.com/billing").is_ok());
/// assert!(webhook_url("http://127.0.0.1:9000/hook").is_ok());
/// assert!(webhook_url("http://hooks.example.com/billing").is_err());
/// ```
pub fn webhook_url(url: &str) -> Result<String, WebhookUrlError> {
    let url = url.trim();
    if url.len() > MAX_WEBHOOK_URL {
        return Err(WebhookUrlError::TooLong);
    }
    let rest = if let Some(rest) = strip_prefix_ci(url, "https://") {
        rest
    } else if let Some(rest) = strip_prefix_ci(url, "http://") {
        let host = rest.split(['/', '?', '#']).next().unwrap_or("");
        let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
        let name = if host.starts_with('[') {
            host.split(']')
                .next()
                .map(|h| format!("{h}]"))
                .unwrap_or_default()
        } else {
            host.split(':').next().unwrap_or("").to_string()
        };
        if !matches!(
            name.to_ascii_lowercase().as_str(),
            "127.0.0.1" | "localhost" | "[::1]"
        ) {
            return Err(WebhookUrlError::NotHttps);
        }
        rest
    } else {
        return Err(WebhookUrlError::NotHttps);
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(WebhookUrlError::NotHttps);
    }
    Ok(url.to_string())
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    // `get`, not slicing: the text may have a multi-byte character there.
    s.get(..prefix.len())
        .filter(|head| head.eq_ignore_ascii_case(prefix))
        .and_then(|_| s.get(prefix.len()..))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// schemathesis found a panic here once: a multi-byte character where
        /// the scheme would end.
        #[test]
        fn no_address_panics(s in "\\PC{0,40}", prefix in prop::sample::select(vec!["", "http://", "https://", "HTTP://", "http"])) {
            let _ = webhook_url(&format!("{prefix}{s}"));
        }
    }

    #[test]
    fn webhook_addresses_are_https_or_this_machine() {
        for ok in [
            "https://hooks.example.com",
            " https://hooks.example.com/a?b=c ",
            "HTTPS://Hooks.Example.com/x",
            "http://127.0.0.1:8080/hook",
            "http://localhost/hook",
            "http://[::1]:9000/",
        ] {
            assert!(webhook_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "hooks.example.com",
            "http://hooks.example.com",
            "http://127.0.0.1.evil.com/",
            "http://localhost.evil.com/",
            "ftp://hooks.example.com",
            "https://",
            "https://exa mple.com",
            "javascript:alert(1)",
            "RXÞ]E+³öÑ¢",
            "httpsé://x",
            "ht³",
        ] {
            assert_eq!(webhook_url(bad), Err(WebhookUrlError::NotHttps), "{bad}");
        }
        assert_eq!(
            webhook_url(&format!("https://a.example/{}", "x".repeat(2_000))),
            Err(WebhookUrlError::TooLong)
        );
    }
}
