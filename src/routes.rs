//! The app's routes: which page a path names, and the links between pages.
//! Three fixed routes do not need a router crate.

/// A page of the app, read from the URL path.
#[derive(Debug, PartialEq, Eq)]
pub enum Route {
    /// `/workspaces/{ws}/billing`.
    Billing(String),
    /// `/workspaces/{ws}/credits/purchase`.
    Purchase(String),
    /// `/preview`: the designers' preview.
    Preview,
    /// Anything else.
    NotFound,
}

/// The page `path` names.
pub fn route(path: &str) -> Route {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    match parts.as_slice() {
        ["workspaces", ws, "billing"] if !ws.is_empty() => Route::Billing(ws.to_string()),
        ["workspaces", ws, "credits", "purchase"] if !ws.is_empty() => {
            Route::Purchase(ws.to_string())
        }
        ["preview"] => Route::Preview,
        _ => Route::NotFound,
    }
}

/// Where the app starts.
pub const HOME: &str = "/";

/// The Plan & Billing page of a workspace.
pub fn billing_href(ws: &str) -> String {
    format!("/workspaces/{ws}/billing")
}

/// Where "Purchase Prepaid Credits" leads for a workspace.
pub fn purchase_href(ws: &str) -> String {
    format!("/workspaces/{ws}/credits/purchase")
}

/// The sign-in page, returning to `next` afterwards.
pub fn sign_in_href(next: &str) -> String {
    format!("/signin?next={next}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_lead_to_the_routes_they_name() {
        assert_eq!(route(&billing_href("acme")), Route::Billing("acme".into()));
        assert_eq!(
            route(&purchase_href("acme")),
            Route::Purchase("acme".into())
        );
        assert_eq!(route("/preview"), Route::Preview);
        for path in [HOME, "/workspaces//billing", "/workspaces/acme", "/nope"] {
            assert_eq!(route(path), Route::NotFound, "{path}");
        }
    }
}
