//! This cycle's flex spend as a picture: cumulative spend by day, the cap as
//! a line, and the forecast dashed to the reset.

use billing_domain::{human_date, spend_line, BillingState, Forecast, Money};
use leptos::prelude::*;

/// The drawing's size in its own units (it scales to the card's width).
/// Whole numbers only: formatting floats would add kilobytes to the page.
const WIDTH: i64 = 3200;
const HEIGHT: i64 = 960;

/// The chart of `state`'s cycle, drawn as inline SVG. The SVG is an image
/// whose name says what it shows, for people who cannot see it.
#[component]
pub fn SpendChart(
    /// The billing state to draw.
    #[prop(into)]
    state: Signal<BillingState>,
    /// Where its flex spend is heading ([`BillingState::forecast`]), worked
    /// out once by the card for the sentence, the meter and this drawing.
    #[prop(into)]
    forecast: Signal<Option<Forecast>>,
) -> impl IntoView {
    let drawing = Memo::new(move |_| {
        let forecast = forecast.get();
        state.with(|s| Drawing::of(s, forecast))
    });
    view! {
        <svg
            class="spend-chart"
            viewBox=format!("0 0 {WIDTH} {HEIGHT}")
            role="img"
            aria-label=move || drawing.with(|d| d.words.clone())
            preserveAspectRatio="none"
        >
            <polyline class="spend-chart__spend" points=move || drawing.with(|d| d.spend.clone()) />
            {move || {
                drawing
                    .with(|d| d.projection.clone())
                    .map(|points| view! { <polyline class="spend-chart__forecast" points=points /> })
            }}
            {move || {
                drawing
                    .with(|d| d.cap_y)
                    .map(|y| {
                        view! {
                            <line class="spend-chart__cap" x1="0" x2=WIDTH y1=y y2=y />
                        }
                    })
            }}
        </svg>
    }
}

/// What is drawn, worked out once per state.
#[derive(Clone, PartialEq)]
struct Drawing {
    spend: String,
    projection: Option<String>,
    cap_y: Option<i64>,
    words: String,
}

impl Drawing {
    fn of(s: &BillingState, forecast: Option<Forecast>) -> Drawing {
        let line = spend_line(&s.cycle, s.today, &s.flex_by_day);
        let days = (s.cycle.end - s.cycle.start).num_days().max(1);
        // The top of the drawing: a tenth above the highest of spend, cap and forecast.
        let top = [
            line.last().map(|(_, m)| m.cents()).unwrap_or(0),
            s.flex.cap.map(Money::cents).unwrap_or(0),
            forecast.map(|f| f.at_reset.cents()).unwrap_or(0),
        ]
        .into_iter()
        .max()
        .unwrap_or(0)
        .max(1)
            * 11
            / 10;
        // Each day's total is drawn at the day's end.
        let x = |day: chrono::NaiveDate| ((day - s.cycle.start).num_days() + 1) * WIDTH / days;
        let y = |m: Money| HEIGHT - m.cents().clamp(0, top) * HEIGHT / top;
        let mut points = vec![format!("0,{HEIGHT}")];
        points.extend(
            line.iter()
                .map(|(day, total)| format!("{},{}", x(*day), y(*total))),
        );
        let projection = forecast.and_then(|f| {
            let (day, total) = line.last()?;
            Some(format!(
                "{},{} {WIDTH},{}",
                x(*day),
                y(*total),
                y(f.at_reset)
            ))
        });
        let mut words = format!(
            "Flex spend this cycle by day: {} by {}",
            s.usage.flex_spend,
            human_date(s.today)
        );
        if let Some(f) = forecast {
            words.push_str(&format!(
                "; at this rate about {} by the reset on {}",
                f.at_reset,
                human_date(f.resets_on)
            ));
        }
        if let Some(cap) = s.flex.cap {
            words.push_str(&format!("; the cap is {cap}"));
        }
        words.push('.');
        Drawing {
            spend: points.join(" "),
            projection,
            cap_y: s.flex.cap.map(y),
            words,
        }
    }
}
