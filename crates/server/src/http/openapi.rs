//! The API's OpenAPI 3.1 document, generated from the handlers' own types
//! (utoipa) and served at `GET /api/openapi.json`.

use crate::AppState;
use axum::extract::State;
use axum::Json;
use billing_domain::ErrorBody;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::OpenApi as Document;
use utoipa::{Modify, OpenApi};

/// The security scheme of people: the session cookie.
pub const SESSION_SCHEME: &str = "billing_session";
/// The security scheme of the metering service: its bearer token.
pub const METERING_SCHEME: &str = "metering_token";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Billing API",
        description = "Flex Billing settings, usage metering and cap enforcement. Amounts are \
            decimal strings, never JSON numbers. Errors are `{\"error\": {\"code\", \"message\"}}` \
            (`ErrorBody`). Every change (POST, PUT, DELETE) is JSON of at most 4 KiB, refuses \
            unknown fields, and must come from the page's own origin. A method a route does not \
            take answers 405 `method_not_allowed`; an unknown route under `/api` 404 `not_found`.",
    ),
    paths(
        openapi_json,
        super::session::session,
        super::session::logout,
        super::session::dev_login,
        super::billing::billing,
        super::billing::activity,
        super::billing::enable,
        super::billing::disable,
        super::billing::set_cap,
        super::billing::remove_cap,
        super::usage::record,
    ),
    modifiers(&SecuritySchemes),
    tags(
        (name = "session", description = "Who is signed in"),
        (name = "billing", description = "The billing state and its history"),
        (name = "flex", description = "Changes to Flex Billing (owners and admins)"),
        (name = "usage", description = "Metering (the platform, with its token)"),
        (name = "openapi", description = "This document"),
    ),
)]
struct ApiDoc;

/// The two ways in: a person's session cookie, and the metering service's token.
struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, doc: &mut Document) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(SESSION_SCHEME, session_cookie("billing_session"));
        components.add_security_scheme(
            METERING_SCHEME,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "The metering token (`--metering-token-file`, `--metering-token`; the demo's with `--demo`).",
                    ))
                    .build(),
            ),
        );
    }
}

fn session_cookie(name: &str) -> SecurityScheme {
    SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
        name,
        "The session cookie set by sign-in (HttpOnly, SameSite=Strict).",
    )))
}

/// The document, with the session cookie under the name this server gives it
/// (`__Host-billing_session` over HTTPS).
pub fn document(cookie_name: &str) -> Document {
    let mut doc = ApiDoc::openapi();
    // Not the crate's (empty) license field.
    doc.info.license = None;
    if let Some(components) = doc.components.as_mut() {
        components.add_security_scheme(SESSION_SCHEME, session_cookie(cookie_name));
    }
    doc
}

/// `GET /api/openapi.json`: this document.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    tag = "openapi",
    summary = "This OpenAPI 3.1 document",
    responses(
        (status = 200, description = "The OpenAPI 3.1 document of this API.", body = Object),
        (status = 500, description = "`internal`: something went wrong on our side (a panic, which is logged).", body = ErrorBody),
    ),
)]
pub async fn openapi_json(State(s): State<AppState>) -> Json<Document> {
    Json(document(s.config.session_cookie_name()))
}
