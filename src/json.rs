//! JSON in and out of the page through the browser's own `JSON.parse` and
//! `JSON.stringify`, with serde-wasm-bindgen between them and the Rust types.
//! serde_json's parser and printer would add their code to the page's first
//! module; the browser already has both. Off the browser (the unit tests of
//! this crate) the same calls go through serde_json.

use serde::de::DeserializeOwned;
use serde::Serialize;

/// `text` read as a `T`, or `None` when it is not JSON or not a `T`.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Option<T> {
    #[cfg(target_arch = "wasm32")]
    {
        let value = js_sys::JSON::parse(text).ok()?;
        serde_wasm_bindgen::from_value(value).ok()
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        serde_json::from_str(text).ok()
    }
}

/// `value` written as JSON: objects as plain objects (not `Map`s) and whole
/// numbers as numbers, as the API reads them.
pub fn to_string<T: Serialize>(value: &T) -> String {
    #[cfg(target_arch = "wasm32")]
    {
        let serializer = serde_wasm_bindgen::Serializer::json_compatible();
        value
            .serialize(&serializer)
            .ok()
            .and_then(|v| js_sys::JSON::stringify(&v).ok())
            .and_then(|s| s.as_string())
            .unwrap_or_default()
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        serde_json::to_string(value).unwrap_or_default()
    }
}

/// The body of `response` read as a `T`.
pub async fn read<T: DeserializeOwned>(response: &gloo_net::http::Response) -> Option<T> {
    from_str(&response.text().await.ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, serde::Deserialize, Debug, PartialEq)]
    struct Body {
        cap: String,
        version: Option<u64>,
    }

    #[test]
    fn reads_what_it_writes_and_refuses_what_is_not_json() {
        let body = Body {
            cap: "250.00".into(),
            version: Some(7),
        };
        let text = to_string(&body);
        assert_eq!(text, r#"{"cap":"250.00","version":7}"#);
        assert_eq!(from_str::<Body>(&text), Some(body));
        assert_eq!(from_str::<Body>("{\"cap\":"), None);
        assert_eq!(from_str::<Body>(r#"{"cap":250}"#), None);
    }
}
