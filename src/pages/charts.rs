//! Charts as inline SVG, each drawn from a `Table` that is also shown as an HTML table and served
//! as CSV: one set of numbers for the picture, the reader and the spreadsheet. No script, no
//! fonts or tiles fetched; every shape has a `<title>` and every chart names its table.

use maud::{Markup, html};

use crate::error::ApiError;
use crate::pages::lang::{Lang, number};
use crate::service::export::Sheet;

/// Colours with at least 3:1 contrast against white, told apart by lightness as well as hue.
pub const PALETTE: [&str; 8] = [
    "#1b6e4b", "#2166ac", "#b2182b", "#8c510a", "#5e3c99", "#01665e", "#c51b7d", "#4d4d4d",
];

/// A coordinate to a tenth of a pixel: shorter pages, and no figure hides in a long fraction.
pub fn px(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// A cell: what the reader sees, and the figure as the API states it (`null` when withheld).
pub struct Cell {
    pub text: String,
    pub value: Option<String>,
}

impl Cell {
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            value: None,
        }
    }

    /// A figure: shown as `text`, carried exactly as the API writes it.
    pub fn figure(text: impl Into<String>, api: Option<String>) -> Self {
        Self {
            text: text.into(),
            value: Some(api.unwrap_or_else(|| "null".into())),
        }
    }
}

/// A chart's numbers. `key` names each row the way the API keys it (a category code, a year).
pub struct Table {
    pub id: &'static str,
    pub title: String,
    pub columns: Vec<String>,
    pub rows: Vec<(String, Vec<Cell>)>,
}

impl Table {
    /// The table as CSV: the key, then each column's API figure (or its text).
    pub fn csv(&self) -> Result<Vec<u8>, ApiError> {
        let mut sheet = Sheet::new();
        sheet.row(std::iter::once("key").chain(self.columns.iter().map(String::as_str)))?;
        for (key, cells) in &self.rows {
            sheet.row(std::iter::once(key.as_str()).chain(cells.iter().map(|c| {
                match c.value.as_deref() {
                    Some("null") => "",
                    Some(v) => v,
                    None => c.text.as_str(),
                }
            })))?;
        }
        sheet.into_bytes()
    }

    /// The table for readers (and screen readers), with its CSV link.
    pub fn html(&self, lang: Lang, csv_href: &str, open: bool) -> Markup {
        html! {
            details.numbers open[open] {
                summary { (lang.pick("数据表", "Numbers")) " · " a href=(csv_href) download { "CSV" } }
                table id={ "table-" (self.id) } data-chart=(self.id) {
                    caption { (self.title) }
                    thead { tr { @for c in &self.columns { th scope="col" { (c) } } } }
                    tbody {
                        @for (key, cells) in &self.rows {
                            tr data-key=(key) {
                                @if let Some(first) = cells.first() { th scope="row" { (first.text) } }
                                @for c in cells.iter().skip(1) {
                                    @match &c.value {
                                        Some(v) => td data-value=(v) { (c.text) },
                                        None => td { (c.text) },
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Horizontal bars: `(label, value)`, `None` drawn as withheld. `max` fixes the scale (100 for
/// per cent); `target` draws a line.
pub fn bars(
    id: &str,
    title: &str,
    items: &[(String, Option<f64>)],
    unit: &str,
    max: Option<f64>,
    target: Option<f64>,
    withheld: &str,
) -> Markup {
    let row_h = 34.0;
    let (label_w, bar_w) = (200.0, 340.0);
    let height = row_h * items.len().max(1) as f64 + 24.0;
    let top = items
        .iter()
        .filter_map(|(_, v)| *v)
        .chain(target)
        .fold(max.unwrap_or(0.0), f64::max)
        .max(f64::MIN_POSITIVE);
    let scale = |v: f64| (v.max(0.0) / top) * bar_w;
    html! {
        svg.chart id=(id) role="img" aria-labelledby={ (id) "-title" } viewBox={ "0 0 640 " (height) }
            preserveAspectRatio="xMinYMin meet" {
            title id={ (id) "-title" } { (title) }
            @for (i, (label, value)) in items.iter().enumerate() {
                @let y = 8.0 + row_h * i as f64;
                g {
                    text x=(px(label_w - 8.0)) y=(px(y + 20.0)) text-anchor="end" { (label) }
                    @match value {
                        Some(v) => {
                            rect x=(px(label_w)) y=(px(y + 4.0)) width=(px(scale(*v))) height=(px(row_h - 10.0))
                                fill=(PALETTE[i % PALETTE.len()]) { title { (label) ": " (number(*v, 2)) " " (unit) } }
                            text x=(px(label_w + scale(*v) + 6.0)) y=(px(y + 20.0)) { (number(*v, 2)) " " (unit) }
                        }
                        None => {
                            rect.withheld x=(px(label_w)) y=(px(y + 4.0)) width=(px(bar_w)) height=(px(row_h - 10.0)) { title { (withheld) } }
                            text x=(px(label_w + 8.0)) y=(px(y + 20.0)) { (withheld) }
                        }
                    }
                }
            }
            @if let Some(t) = target {
                line.target x1=(px(label_w + scale(t))) x2=(px(label_w + scale(t))) y1="2" y2=(px(height - 14.0)) {}
                text.small x=(px(label_w + scale(t))) y=(px(height - 2.0)) text-anchor="middle" { "▲ " (number(t, 2)) " " (unit) }
            }
        }
    }
}

/// Columns over years: `(year, value)`.
pub fn columns(id: &str, title: &str, items: &[(String, f64)], unit: &str) -> Markup {
    let (w, h, base) = (640.0, 260.0, 220.0);
    let top = items.iter().map(|i| i.1).fold(f64::MIN_POSITIVE, f64::max);
    let slot = (w - 40.0) / items.len().max(1) as f64;
    html! {
        svg.chart id=(id) role="img" aria-labelledby={ (id) "-title" } viewBox={ "0 0 " (w) " " (h) } {
            title id={ (id) "-title" } { (title) }
            line.axis x1="20" x2=(px(w - 20.0)) y1=(px(base)) y2=(px(base)) {}
            @for (i, (label, v)) in items.iter().enumerate() {
                @let bar_h = (v / top) * (base - 40.0);
                @let x = 20.0 + slot * i as f64 + slot * 0.2;
                rect x=(px(x)) y=(px(base - bar_h)) width=(px(slot * 0.6)) height=(px(bar_h)) fill=(PALETTE[0]) {
                    title { (label) ": " (number(*v, 4)) " " (unit) }
                }
                text x=(px(x + slot * 0.3)) y=(px(base - bar_h - 8.0)) text-anchor="middle" { (number(*v, 4)) }
                text x=(px(x + slot * 0.3)) y=(px(base + 22.0)) text-anchor="middle" { (label) }
            }
        }
    }
}

/// Progress towards a target: what it is, a bar, the value and the share.
pub fn progress(id: &str, title: &str, value: f64, target: f64, unit: &str) -> Markup {
    let share = if target > 0.0 { value / target } else { 0.0 };
    let filled = 600.0 * share.clamp(0.0, 1.0);
    html! {
        svg.chart.progress id=(id) role="img" aria-labelledby={ (id) "-title" } viewBox="0 0 640 76" {
            title id={ (id) "-title" } { (title) ": " (number(value, 1)) " / " (number(target, 1)) " " (unit) }
            text x="20" y="18" { (title) }
            rect.track x="20" y="28" width="600" height="22" rx="4" {}
            rect x="20" y="28" width=(px(filled)) height="22" rx="4" fill=(PALETTE[0]) {}
            text x="20" y="70" { (number(value, 1)) " / " (number(target, 1)) " " (unit) }
            text x="620" y="70" text-anchor="end" { (number(share * 100.0, 1)) " %" }
        }
    }
}

/// A flow (Sankey) diagram from sources on the left to targets on the right: `(from, to, value)`
/// with labels already in the reader's language.
pub fn sankey(id: &str, title: &str, links: &[(String, String, f64)], unit: &str) -> Markup {
    let (w, h, node_w, gap) = (640.0, 360.0, 14.0, 14.0);
    let order = |pick: fn(&(String, String, f64)) -> &String| {
        let mut nodes: Vec<(String, f64)> = Vec::new();
        for l in links {
            match nodes.iter_mut().find(|(n, _)| n == pick(l)) {
                Some(n) => n.1 += l.2,
                None => nodes.push((pick(l).clone(), l.2)),
            }
        }
        nodes.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        nodes
    };
    let (left, right) = (order(|l| &l.0), order(|l| &l.1));
    let total: f64 = links.iter().map(|l| l.2).sum();
    let most = left.len().max(right.len()).max(1) as f64;
    let k = if total > 0.0 {
        (h - 20.0 - gap * (most - 1.0)) / total
    } else {
        0.0
    };
    let place = |nodes: &[(String, f64)]| {
        let mut y = 10.0;
        nodes
            .iter()
            .map(|(name, v)| {
                let at = (name.clone(), y, v * k);
                y += v * k + gap;
                at
            })
            .collect::<Vec<_>>()
    };
    let (lpos, rpos) = (place(&left), place(&right));
    let (x0, x1) = (170.0, w - 170.0);
    let mut out_off = vec![0.0; lpos.len()];
    let mut in_off = vec![0.0; rpos.len()];
    let mut bands = Vec::new();
    // Links leave each source and reach each target in the order of the other side.
    let mut sorted: Vec<&(String, String, f64)> = links.iter().collect();
    sorted.sort_by_key(|l| {
        (
            lpos.iter().position(|n| n.0 == l.0),
            rpos.iter().position(|n| n.0 == l.1),
        )
    });
    for l in sorted {
        let (Some(li), Some(ri)) = (
            lpos.iter().position(|n| n.0 == l.0),
            rpos.iter().position(|n| n.0 == l.1),
        ) else {
            continue;
        };
        let band = l.2 * k;
        let ya = lpos[li].1 + out_off[li];
        let yb = rpos[ri].1 + in_off[ri];
        out_off[li] += band;
        in_off[ri] += band;
        let (xa, xb, xm) = (x0 + node_w, x1, (x0 + node_w + x1) / 2.0);
        let d = format!(
            "M{xa:.1},{ya:.1} C{xm:.1},{ya:.1} {xm:.1},{yb:.1} {xb:.1},{yb:.1} L{xb:.1},{:.1} C{xm:.1},{:.1} {xm:.1},{:.1} {xa:.1},{:.1} Z",
            yb + band,
            yb + band,
            ya + band,
            ya + band
        );
        bands.push((
            d,
            PALETTE[li % PALETTE.len()],
            format!("{} → {}: {} {unit}", l.0, l.1, number(l.2, 1)),
        ));
    }
    html! {
        svg.chart id=(id) role="img" aria-labelledby={ (id) "-title" } viewBox={ "0 0 " (w) " " (h) } {
            title id={ (id) "-title" } { (title) }
            @for (d, colour, label) in &bands {
                path.band d=(d) fill=(colour) { title { (label) } }
            }
            @for (i, (name, y, len)) in lpos.iter().enumerate() {
                @let (y, len) = (*y, *len);
                rect x=(px(x0)) y=(px(y)) width=(px(node_w)) height=(px(len.max(1.0))) fill=(PALETTE[i % PALETTE.len()]) { title { (name) } }
                text x=(px(x0 - 6.0)) y=(px(y + len / 2.0 + 5.0)) text-anchor="end" { (name) }
            }
            @for (name, y, len) in &rpos {
                @let (y, len) = (*y, *len);
                rect x=(px(x1)) y=(px(y)) width=(px(node_w)) height=(px(len.max(1.0))) fill=(PALETTE[7]) { title { (name) } }
                text x=(px(x1 + node_w + 6.0)) y=(px(y + len / 2.0 + 5.0)) { (name) }
            }
        }
    }
}
