//! "Alert delivery", for owners: where alerts go (the webhook endpoint, with
//! its signing secret shown once, and email), and what became of the latest.

use super::thresholds::ThresholdsForm;
use crate::components::Preset;
use crate::hooks::{use_billing, use_interval};
use billing_domain::{alert_delivery_sentence, describe_delivery, DeliveryLog, DEFAULT_THRESHOLDS};
use chrono::{DateTime, Utc};
use leptos::prelude::*;

/// How often the log is read again while a delivery is still on its way.
const WHILE_SENDING: std::time::Duration = std::time::Duration::from_secs(3);

/// The section; only owners see it.
#[component]
pub fn Alerts(
    /// Prefix of the element ids.
    id: &'static str,
    /// The moment the times are counted from; read again after each load.
    now: RwSignal<DateTime<Utc>>,
) -> impl IntoView {
    let state = use_billing().state();
    let owner = Memo::new(move |_| state.with(|s| s.viewer.role.manages_alerts()));
    view! {
        <Show when=move || owner.get()>
            <AlertsSection id=id now=now />
        </Show>
    }
}

#[component]
fn AlertsSection(id: &'static str, now: RwSignal<DateTime<Utc>>) -> impl IntoView {
    let billing = use_billing();
    let state = billing.state();
    let log = RwSignal::new(None::<DeliveryLog>);
    let secret = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);

    // Read again when the billing state moves (a usage record or a change may
    // have raised an alert), and every few seconds while one is on its way.
    let reload = RwSignal::new(0u32);
    let moved = Memo::new(move |_| state.with(|s| (s.flex.version, s.usage.flex_spend)));
    let loaded = LocalResource::new(move || {
        moved.track();
        reload.track();
        billing.details().deliveries()
    });
    Effect::new(move |_| {
        if let Some(Ok(answer)) = loaded.get() {
            now.set(billing.backend().now());
            log.set(Some(answer));
        }
    });
    use_interval(WHILE_SENDING, move || {
        let sending = log.with_untracked(|l| {
            l.as_ref()
                .is_some_and(|l| l.deliveries.iter().any(|d| d.state.is_open()))
        });
        if sending {
            reload.update(|n| *n += 1);
        }
    });

    let chosen = RwSignal::new(None::<Vec<u8>>);
    let typed = RwSignal::new(String::new());
    let save = move || {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        let sent = billing.details().set_webhook(typed.get_untracked());
        leptos::task::spawn_local(async move {
            let answer = sent.await;
            let _ = busy.try_set(false);
            match answer {
                Ok(info) => {
                    let _ = secret.try_set(info.secret);
                    let _ = typed.try_set(String::new());
                    let _ = reload.try_update(|n| *n += 1);
                }
                Err(e) => {
                    let _ = error.try_set(Some(e.message()));
                }
            }
        });
    };
    let remove = move || {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        error.set(None);
        let sent = billing.details().delete_webhook();
        leptos::task::spawn_local(async move {
            let answer = sent.await;
            let _ = busy.try_set(false);
            match answer {
                Ok(()) => {
                    let _ = secret.try_set(None);
                    let _ = reload.try_update(|n| *n += 1);
                }
                Err(e) => {
                    let _ = error.try_set(Some(e.message()));
                }
            }
        });
    };
    // The preview's "just registered": this address typed and saved.
    if let Preset::Registered(url) = Preset::current() {
        typed.set(url);
        save();
    }

    let title_id = format!("{id}-alerts-title");
    let input_id = format!("{id}-webhook-url");
    let webhook = move || log.with(|l| l.as_ref().and_then(|l| l.webhook.clone()));
    let email = move || log.with(|l| l.as_ref().is_some_and(|l| l.email));
    let lines = move || {
        log.with(|l| {
            l.as_ref()
                .map(|l| {
                    l.deliveries
                        .iter()
                        .map(|d| describe_delivery(d, now.get()))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    };
    view! {
        <section class="alerts" aria-labelledby=title_id.clone()>
            <h3 class="alerts__title" id=title_id.clone()>"Alert delivery"</h3>
            <p class="alerts__lead">
                {move || {
                    chosen.with(|c| alert_delivery_sentence(c.as_deref().unwrap_or(&DEFAULT_THRESHOLDS)))
                }}
                " "
                {move || if email() {
                    "Owners and admins are also emailed the alerts."
                } else {
                    "Email alerts are off on this server."
                }}
            </p>
            {move || match webhook() {
                Some(hook) => view! {
                    <div class="alerts__hook">
                        <p class="alerts__url">"Webhook: " <span class="alerts__target">{hook.url}</span></p>
                        <button
                            type="button"
                            class="btn btn--secondary btn--small"
                            aria-busy=move || busy.get().to_string()
                            on:click=move |_| remove()
                        >
                            "Remove webhook"
                        </button>
                    </div>
                }
                .into_any(),
                None => view! {
                    <form
                        class="alerts__form"
                        on:submit=move |ev: leptos::ev::SubmitEvent| {
                            ev.prevent_default();
                            save();
                        }
                    >
                        <label class="cap-input__label" for=input_id.clone()>"Webhook URL"</label>
                        <div class="alerts__row">
                            <input
                                id=input_id.clone()
                                class="alerts__input"
                                type="url"
                                inputmode="url"
                                placeholder="https://hooks.example.com/billing"
                                prop:value=move || typed.get()
                                on:input=move |ev| typed.set(event_target_value(&ev))
                            />
                            <button type="submit" class="btn btn--primary" aria-busy=move || busy.get().to_string()>
                                "Save webhook"
                            </button>
                        </div>
                    </form>
                }
                .into_any(),
            }}
            <Show when=move || error.with(Option::is_some)>
                <p class="alerts__error" role="alert">{move || error.get().unwrap_or_default()}</p>
            </Show>
            <Show when=move || secret.with(Option::is_some)>
                <div class="alerts__secret" role="status">
                    <p>"Signing secret, shown this once: copy it now to verify the webhooks you receive."</p>
                    <code>{move || secret.get().unwrap_or_default()}</code>
                </div>
            </Show>
            <ThresholdsForm id=id chosen=chosen />
            <h4 class="alerts__subtitle">"Sent lately"</h4>
            {move || {
                let lines = lines();
                if lines.is_empty() {
                    view! { <p class="alerts__empty">"No alerts sent yet."</p> }.into_any()
                } else {
                    view! {
                        <ul class="alerts__log">
                            {lines.into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}
                        </ul>
                    }
                    .into_any()
                }
            }}
        </section>
    }
}
