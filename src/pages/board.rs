//! The public market board (供需信息公示): lots on offer and demands open, filtered by category,
//! district and grade, with a schematic map of the districts drawn from their sites' positions.

use maud::{Markup, html};

use crate::domain::quantity::format_tonnes;
use crate::pages::charts::{Cell, PALETTE, Table, px};
use crate::pages::lang::{Lang, number};
use crate::service::city::profile::CityProfile;
use crate::service::market::board::{Board, BoardFilter, DistrictSpot};
use crate::service::market::catalog::Catalog;

fn t(kg: i64) -> String {
    number(kg as f64 / 1000.0, 1)
}

fn day(at: chrono::NaiveDateTime) -> String {
    at.date().to_string()
}

/// Districts placed by longitude and latitude (equirectangular, shrunk by the cosine of the
/// mean latitude), each a circle whose area is its tonnage: lots filled, demands as a ring.
fn map(lang: Lang, spots: &[DistrictSpot], profile: &CityProfile) -> Markup {
    let (w, h, pad): (f64, f64, f64) = (640.0, 400.0, 60.0);
    let mean_lat = spots.iter().map(|s| s.lat).sum::<f64>() / spots.len().max(1) as f64;
    let shrink = mean_lat.to_radians().cos();
    let xs: Vec<f64> = spots.iter().map(|s| s.lon * shrink).collect();
    let ys: Vec<f64> = spots.iter().map(|s| s.lat).collect();
    let (min_x, max_x) = (
        xs.iter().copied().fold(f64::INFINITY, f64::min),
        xs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    );
    let (min_y, max_y) = (
        ys.iter().copied().fold(f64::INFINITY, f64::min),
        ys.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    );
    let span = (max_x - min_x).max(max_y - min_y).max(0.05);
    let k = ((w - 2.0 * pad).min(h - 2.0 * pad)) / span;
    let (cx, cy) = ((min_x + max_x) / 2.0, (min_y + max_y) / 2.0);
    let most = spots
        .iter()
        .map(|s| s.offered_kg.max(s.wanted_kg))
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let radius = |kg: i64| 6.0 + 34.0 * (kg as f64 / most).sqrt();
    let title = lang.pick(
        "区县示意图：挂牌量（实心）与需求量（圆环）",
        "Districts, schematic: tonnes on offer (filled) and wanted (ring)",
    );
    html! {
        svg.chart.map id="chart-map" role="img" aria-labelledby="chart-map-title" viewBox={ "0 0 " (w) " " (h) } {
            title id="chart-map-title" { (title) }
            rect.sea x="0" y="0" width=(w) height=(h) rx="8" {}
            @for (i, s) in spots.iter().enumerate() {
                @let x = w / 2.0 + (xs[i] - cx) * k;
                @let y = h / 2.0 - (ys[i] - cy) * k;
                @let name = profile.district_name(&s.code, lang == Lang::Zh);
                g.district data-district=(s.code) {
                    @if s.offered_kg > 0 {
                        circle cx=(px(x)) cy=(px(y)) r=(px(radius(s.offered_kg))) fill=(PALETTE[0]) fill-opacity="0.75" {
                            title { (name) ": " (t(s.offered_kg)) " " (lang.pick("吨挂牌", "t on offer")) }
                        }
                    }
                    @if s.wanted_kg > 0 {
                        circle.wanted cx=(px(x)) cy=(px(y)) r=(px(radius(s.wanted_kg))) fill="none" stroke=(PALETTE[2]) stroke-width="4" {
                            title { (name) ": " (t(s.wanted_kg)) " " (lang.pick("吨需求", "t wanted")) }
                        }
                    }
                    text x=(px(x)) y=(px(y + radius(s.offered_kg.max(s.wanted_kg)) + 18.0)) text-anchor="middle" { (name) }
                }
            }
        }
    }
}

/// The map's numbers: tonnes on offer and wanted by district.
pub fn districts_table(lang: Lang, board: &Board, profile: &CityProfile) -> Table {
    Table {
        id: "districts",
        title: lang
            .pick(
                "区县挂牌量与需求量",
                "Tonnes on offer and wanted by district",
            )
            .into(),
        columns: vec![
            lang.pick("区县", "District").into(),
            lang.pick("挂牌（吨）", "On offer (t)").into(),
            lang.pick("需求（吨）", "Wanted (t)").into(),
        ],
        rows: board
            .districts
            .iter()
            .map(|d| {
                (
                    d.code.clone(),
                    vec![
                        Cell::text(profile.district_name(&d.code, lang == Lang::Zh)),
                        Cell::figure(t(d.offered_kg), Some(format_tonnes(d.offered_kg))),
                        Cell::figure(t(d.wanted_kg), Some(format_tonnes(d.wanted_kg))),
                    ],
                )
            })
            .collect(),
    }
}

pub fn body(
    lang: Lang,
    board: &Board,
    filter: &BoardFilter,
    profile: &CityProfile,
    catalog: &Catalog,
    districts_csv: &str,
) -> Markup {
    let category_name = |code: &str| lang.category(catalog, code);
    let district = |code: &str| profile.district_name(code, lang == Lang::Zh);
    let until = |at: Option<chrono::NaiveDateTime>| {
        at.map_or_else(|| lang.pick("长期", "open-ended").to_string(), day)
    };
    html! {
        form.filters method="get" action="/board" {
            input type="hidden" name="lang" value=(lang.param());
            label {
                (lang.pick("类别", "Category"))
                select name="category" {
                    option value="" { (lang.pick("全部", "All")) }
                    @for c in &catalog.categories {
                        option value=(c.code) selected[filter.category() == Some(c.code.as_str())] { (category_name(&c.code)) }
                    }
                }
            }
            label {
                (lang.pick("区县", "District"))
                select name="district" {
                    option value="" { (lang.pick("全部", "All")) }
                    @for d in &board.district_choices {
                        option value=(d) selected[filter.district() == Some(d.as_str())] { (district(d)) }
                    }
                }
            }
            label {
                (lang.pick("等级（及以上）", "Grade (or better)"))
                select name="grade" {
                    option value="" { (lang.pick("全部", "All")) }
                    @for (rule, grade) in &board.grade_choices {
                        @let value = format!("{rule}:{grade}");
                        option value=(value) selected[filter.grade() == Some(value.as_str())] { (rule) " " (grade) }
                    }
                }
            }
            button type="submit" { (lang.pick("筛选", "Apply")) }
        }
        div.grid {
            section.panel id="panel-map" {
                h2 { (lang.pick("区县分布", "Where the material is")) }
                @if board.districts.is_empty() {
                    p.empty { (lang.pick("没有符合条件的信息。", "Nothing matches.")) }
                } @else {
                    (map(lang, &board.districts, profile))
                }
                p.note { (lang.pick("示意图，按区县汇总，不显示场地位置。", "Schematic, summed by district; no site is shown.")) }
                (districts_table(lang, board, profile).html(lang, districts_csv, false))
            }
            section.panel.wide id="panel-lots" {
                h2 { (lang.pick("挂牌资源", "Lots on offer")) " " span.count data-count=(board.lots_matching) { "(" (board.lots_matching) ")" } }
                table id="lots" {
                    caption { (lang.pick("已发布、可供应的批次；价格仅显示一口价。", "Published lots still available; a price only where it is fixed.")) }
                    thead { tr {
                        th scope="col" { (lang.pick("类别", "Category")) }
                        th scope="col" { (lang.pick("等级", "Grade")) }
                        th scope="col" { (lang.pick("可供量（吨）", "Available (t)")) }
                        th scope="col" { (lang.pick("区县", "District")) }
                        th scope="col" { (lang.pick("供应期", "Available")) }
                        th scope="col" { (lang.pick("价格（元/吨）", "Price (yuan/t)")) }
                        th scope="col" { "API" }
                    } }
                    tbody {
                        @for lot in &board.lots {
                            tr data-category=(lot.category) data-district=(lot.region_code) {
                                td { (category_name(&lot.category)) @if let Some(s) = &lot.subtype { br; small { (s) } } }
                                td { @for (rule, grade) in &lot.grades { span.grade { (rule) " " b { (grade) } } " " } }
                                td.num data-value=(lot.remaining_kg) { (t(lot.remaining_kg))
                                    @if let Some(m) = lot.monthly_kg { br; small { (t(m)) (lang.pick(" 吨/月", " t/month")) } } }
                                td { (district(&lot.region_code)) }
                                td { (day(lot.available_from)) " – " (until(lot.available_until)) }
                                td.num { @match lot.price_fen_per_t {
                                    Some(fen) => { (number(fen as f64 / 100.0, 2)) @if lot.delivered { br; small { (lang.pick("到厂价", "delivered")) } } },
                                    None => { (lang.pick("竞价", "offers")) },
                                } }
                                td { a href={ "/api/v1/listings/" (lot.id) } { (lang.pick("接口", "resource")) } }
                            }
                        }
                    }
                }
            }
            section.panel.wide id="panel-demands" {
                h2 { (lang.pick("求购需求", "Open demands")) " " span.count data-count=(board.demands_matching) { "(" (board.demands_matching) ")" } }
                table id="demands" {
                    caption { (lang.pick("开放中的求购；不显示单位名称和价格。", "Open demands; no company and no price is shown.")) }
                    thead { tr {
                        th scope="col" { (lang.pick("类别", "Categories")) }
                        th scope="col" { (lang.pick("需求量（吨）", "Wanted (t)")) }
                        th scope="col" { (lang.pick("区县", "District")) }
                        th scope="col" { (lang.pick("需求期", "Window")) }
                        th scope="col" { (lang.pick("用途", "Use")) }
                    } }
                    tbody {
                        @for d in &board.demands {
                            tr data-district=(d.region_code) {
                                td { @for c in &d.categories { span.tag { (category_name(c)) } " " } }
                                td.num data-value=(d.quantity_kg) { (t(d.quantity_kg))
                                    @if let Some(m) = d.monthly_kg { br; small { (t(m)) (lang.pick(" 吨/月", " t/month")) } } }
                                td { (district(&d.region_code)) }
                                td { (day(d.window_from)) " – " (until(d.window_until)) }
                                td { (lang.intended_use(&d.intended_use)) }
                            }
                        }
                    }
                }
            }
        }
    }
}
