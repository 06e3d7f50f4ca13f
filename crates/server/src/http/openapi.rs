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
/// The provisioning API's bearer token.
pub const PLATFORM_SCHEME: &str = "platform_token";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Billing API",
        description = "Flex Billing settings, usage metering and cap enforcement. Amounts are \
            decimal strings, never JSON numbers. Errors are `{\"error\": {\"code\", \"message\"}}` \
            (`ErrorBody`). Every change (POST, PUT, DELETE) is JSON of at most 4 KiB (a usage \
            batch: 1 MiB), refuses unknown fields, and must come from the page's own origin. A method a route does not \
            take answers 405 `method_not_allowed`; an unknown route under `/api` 404 `not_found`. \
            Any answer that does not start within 30 s is 503 `timeout`; when the database \
            cannot take writes for now, a change is 503 `store_unavailable` with `Retry-After`. \
            `GET /healthz` and `GET /readyz` (outside `/api`) are for load balancers.",
    ),
    paths(
        openapi_json,
        super::session::session,
        super::session::logout,
        super::session::dev_login,
        super::auth::login,
        super::auth::callback,
        super::billing::billing,
        super::billing::activity,
        super::billing::statements,
        super::exports::usage_csv,
        super::exports::statements_csv,
        super::events::events,
        super::billing::enable,
        super::billing::disable,
        super::billing::set_cap,
        super::billing::remove_cap,
        super::usage::record,
        super::usage::batch,
        super::alerts::set_webhook,
        super::alerts::delete_webhook,
        super::alerts::deliveries,
        super::alerts::thresholds,
        super::alerts::set_thresholds,
        super::platform::put_workspace,
        super::platform::get_workspace,
        super::platform::put_member,
        super::platform::remove_member,
        super::platform::grant_prepaid,
        super::platform::statements,
    ),
    modifiers(&SecuritySchemes, &SharedAnswers),
    tags(
        (name = "session", description = "Who is signed in"),
        (name = "billing", description = "The billing state and its history"),
        (name = "flex", description = "Changes to Flex Billing (owners and admins)"),
        (name = "usage", description = "Metering (the platform, with its token)"),
        (name = "alerts", description = "Where alerts go: the webhook endpoint and the delivery log (owners)"),
        (name = "platform", description = "Provisioning by the platform that runs this page, with its own token: workspaces, plans, members, prepaid credits"),
        (name = "openapi", description = "This document"),
    ),
)]
struct ApiDoc;

/// Answers every workspace route can give.
const EVERY_WORKSPACE_ROUTE: [(&str, &str); 3] = [
    (
        "404",
        "`workspace_not_found`: no such workspace, or you are not a member of it.",
    ),
    (
        "500",
        "`internal`: something went wrong on our side (also a panic, which is logged).",
    ),
    (
        "503",
        "`store_unavailable`: the database cannot take writes for now (a full disk, no connection); nothing was done, try again after `Retry-After` seconds. `timeout`: the answer did not start within 30 s.",
    ),
];

/// Answers every change (POST, PUT, DELETE) under a workspace can give, unless
/// its own annotation says more.
const EVERY_WORKSPACE_CHANGE: [(&str, &str); 4] = [
    (
        "400",
        "`invalid_request`: the body is not the JSON asked for, or the address is not valid.",
    ),
    ("413", "`payload_too_large`: the body is over 4 KiB."),
    (
        "415",
        "`unsupported_media_type`: the body is not sent as `application/json`.",
    ),
    (
        "422",
        "`unknown_field`: the body has a field this route does not take.",
    ),
];

/// Answers every change to Flex Billing (under `/flex/`) can give.
const EVERY_FLEX_CHANGE: [(&str, &str); 3] = [
    ("401", "`unauthorized`: no live session."),
    ("403", "`forbidden`: members may read but not change Flex Billing; `cross_origin_request`: the change does not come from the page's own origin (`Sec-Fetch-Site` or `Origin`)."),
    ("409", "`version_conflict`: the settings changed since `version`; nothing changed, and `state` holds the settings now in force. `flex_disabled`: a cap while Flex Billing is off."),
];

/// Writes the shared answers once: each workspace operation gets those its own
/// annotation does not document itself.
struct SharedAnswers;

impl Modify for SharedAnswers {
    fn modify(&self, doc: &mut Document) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        for (path, item) in doc.paths.paths.iter_mut() {
            if path.starts_with("/api/platform/") {
                for op in [
                    &mut item.get,
                    &mut item.post,
                    &mut item.put,
                    &mut item.delete,
                ]
                .into_iter()
                .flatten()
                {
                    op.responses
                        .responses
                        .entry("500".to_string())
                        .or_insert_with(|| {
                            ResponseBuilder::new()
                                .description(EVERY_WORKSPACE_ROUTE[1].1)
                                .content(
                                    "application/json",
                                    ContentBuilder::new()
                                        .schema(Some(Ref::from_schema_name("ErrorBody")))
                                        .build(),
                                )
                                .build()
                                .into()
                        });
                }
                continue;
            }
            if !path.starts_with("/api/workspaces/") {
                continue;
            }
            let flex = path.contains("/flex/");
            let ops = [
                (&mut item.get, false),
                (&mut item.post, true),
                (&mut item.put, true),
                (&mut item.delete, true),
            ];
            for (op, change) in ops {
                let Some(op) = op.as_mut() else { continue };
                let changes: &[(&str, &str)] = if change { &EVERY_WORKSPACE_CHANGE } else { &[] };
                let flex_changes: &[(&str, &str)] = if change && flex {
                    &EVERY_FLEX_CHANGE
                } else {
                    &[]
                };
                for (status, text) in EVERY_WORKSPACE_ROUTE
                    .iter()
                    .chain(changes)
                    .chain(flex_changes)
                {
                    op.responses
                        .responses
                        .entry(status.to_string())
                        .or_insert_with(|| {
                            ResponseBuilder::new()
                                .description(*text)
                                .content(
                                    "application/json",
                                    ContentBuilder::new()
                                        .schema(Some(Ref::from_schema_name("ErrorBody")))
                                        .build(),
                                )
                                .build()
                                .into()
                        });
                }
            }
        }
    }
}

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
        components.add_security_scheme(
            PLATFORM_SCHEME,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "The platform's provisioning token (`--platform-token-file`).",
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
