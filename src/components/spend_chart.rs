//! This cycle's flex spend as a picture: cumulative spend by day on a scale
//! from 0 to the larger of the cap and the spend, the cap as a labelled line,
//! today marked, and the forecast dashed up to where it reaches the cap
//! (marked with that day) or, short of it, to the reset.

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
    // Labels are HTML over the drawing (SVG text would stretch with it);
    // the drawing's name already says what they say.
    let percent = |v: i64, of: i64| format!("{}%", v * 100 / of);
    view! {
        // A crossing in the first half is labelled to its right, and the
        // cap at the right end; otherwise both to the left: they never meet.
        <figure
            class="spend-chart"
            class:spend-chart--early=move || {
                drawing.with(|d| d.crossing.as_ref().is_some_and(|(x, _)| *x * 2 < WIDTH))
            }
        >
            <svg
                class="spend-chart__plot"
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
                            view! { <line class="spend-chart__cap" x1="0" x2=WIDTH y1=y y2=y /> }
                        })
                }}
                {move || {
                    drawing
                        .with(|d| d.crossing.clone())
                        .map(|(x, _)| {
                            view! {
                                <line class="spend-chart__crossing" x1=x x2=x y1="0" y2=HEIGHT />
                            }
                        })
                }}
            </svg>
            {move || {
                drawing
                    .with(|d| d.cap_y.zip(d.cap_label.clone()))
                    .map(|(y, label)| {
                        view! {
                            <span
                                class="spend-chart__label spend-chart__label--cap"
                                style:top=percent(y, HEIGHT)
                                aria-hidden="true"
                            >
                                {label}
                            </span>
                        }
                    })
            }}
            {move || {
                drawing
                    .with(|d| d.crossing.clone())
                    .map(|(x, label)| {
                        view! {
                            <span
                                class="spend-chart__label spend-chart__label--crossing"
                                style:left=percent(x, WIDTH)
                                aria-hidden="true"
                            >
                                {label}
                            </span>
                        }
                    })
            }}
            <span
                class="spend-chart__label spend-chart__label--today"
                style:left=move || drawing.with(|d| percent(d.today_x, WIDTH))
                aria-hidden="true"
            >
                "Today"
            </span>
        </figure>
    }
}

/// What is drawn, worked out once per state.
#[derive(Clone, PartialEq)]
struct Drawing {
    spend: String,
    projection: Option<String>,
    cap_y: Option<i64>,
    cap_label: Option<String>,
    /// Where the projection reaches the cap (x), and that day in words.
    crossing: Option<(i64, String)>,
    today_x: i64,
    words: String,
}

impl Drawing {
    fn of(s: &BillingState, forecast: Option<Forecast>) -> Drawing {
        let line = spend_line(&s.cycle, s.today, &s.flex_by_day);
        let days = (s.cycle.end - s.cycle.start).num_days().max(1);
        let spent = line.last().map(|(_, m)| *m).unwrap_or(Money::ZERO);
        // The scale runs from 0 to the larger of the cap and the spend: the
        // projection never sets it, so spend and cap are never drawn flat.
        let top = spent
            .cents()
            .max(s.flex.cap.map(Money::cents).unwrap_or(0))
            .max(1);
        // Each day's total is drawn at the day's end.
        let x = |day: chrono::NaiveDate| ((day - s.cycle.start).num_days() + 1) * WIDTH / days;
        let y = |m: Money| HEIGHT - m.cents().clamp(0, top) * HEIGHT / top;
        let mut points = vec![format!("0,{HEIGHT}")];
        points.extend(
            line.iter()
                .map(|(day, total)| format!("{},{}", x(*day), y(*total))),
        );
        let today_x = line.last().map(|(day, _)| x(*day)).unwrap_or(0);
        // The projection runs to where it reaches the cap and stops there;
        // if it does not before the reset, to the reset.
        let projection = forecast.map(|f| {
            let (end_x, end_y) = match f.cap_reached_on {
                Some(day) => (x(day).min(WIDTH), y(f.cap)),
                None => (WIDTH, y(f.at_reset)),
            };
            format!("{today_x},{} {end_x},{end_y}", y(spent))
        });
        let crossing = forecast.and_then(|f| {
            let day = f.cap_reached_on?;
            Some((x(day).min(WIDTH), format!("Cap around {}", human_date(day))))
        });
        let mut words = format!(
            "Flex spend this cycle by day: {} by {}",
            s.usage.flex_spend,
            human_date(s.today)
        );
        if let Some(f) = forecast {
            match f.cap_reached_on {
                Some(day) => words.push_str(&format!(
                    "; at this rate the cap is reached around {}",
                    human_date(day)
                )),
                None => words.push_str(&format!(
                    "; at this rate about {} by the reset on {}",
                    f.at_reset,
                    human_date(f.resets_on)
                )),
            }
        }
        if let Some(cap) = s.flex.cap {
            words.push_str(&format!("; the cap is {cap}"));
        }
        words.push('.');
        Drawing {
            spend: points.join(" "),
            projection,
            cap_y: s.flex.cap.map(y),
            cap_label: s.flex.cap.map(|cap| format!("Cap {cap}")),
            crossing,
            today_x,
            words,
        }
    }
}
