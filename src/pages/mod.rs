//! The public pages, server-rendered: the city dashboard (`/dashboard`) and the market board
//! (`/board`), in Chinese and English, charts as inline SVG, one stylesheet served by the binary.
//! No script and nothing fetched from elsewhere; every page carries a strong `ETag` of its bytes
//! and `Server-Timing` with its render time. Data come through the same use cases as the API's
//! public endpoints; these modules only lay them out.

pub mod board;
pub mod charts;
pub mod dashboard;
pub mod lang;

use std::time::Instant;

use actix_web::http::header::{self, EntityTag, Header, IfNoneMatch};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Datelike;
use maud::{DOCTYPE, Markup, html};
use serde::Deserialize;

use crate::db::now;
use crate::error::{ApiError, ApiResult};
use crate::http::read_replica;
use crate::service::city::profile::{self, CityProfile};
use crate::service::market::board::{self as market_board, BoardFilter};
use crate::startup::AppState;
use lang::Lang;

const STYLESHEET: &str = include_str!("wufei.css");

/// Scripts, frames, plug-ins and other origins are all refused: the pages need none.
const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; \
                   base-uri 'none'; frame-ancestors 'none'";

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/dashboard", web::get().to(dashboard_page))
        .route("/dashboard/{chart}.csv", web::get().to(dashboard_csv))
        .route("/board", web::get().to(board_page))
        .route("/board/districts.csv", web::get().to(board_csv))
        .route("/assets/wufei.css", web::get().to(stylesheet));
}

#[derive(Debug, Deserialize)]
struct DashboardParams {
    year: Option<i32>,
    lang: Option<String>,
    /// A province, city or district (as `/city/summary`); default the whole platform.
    region: Option<String>,
}

#[derive(Debug, Deserialize)]
struct BoardParams {
    lang: Option<String>,
    category: Option<String>,
    district: Option<String>,
    grade: Option<String>,
}

fn language(req: &HttpRequest, param: Option<&str>) -> Result<Lang, ApiError> {
    let accept = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    Lang::negotiate(param, accept)
}

/// A strong tag of the bytes: the same page in the same language is the same tag.
fn etag(bytes: &[u8]) -> EntityTag {
    // 96 bits: plenty to tell two renderings apart.
    let mut hex = crate::domain::digest::sha256_hex(bytes);
    hex.truncate(24);
    EntityTag::new_strong(hex)
}

/// A rendered document, or 304 when the client holds these very bytes.
fn respond(req: &HttpRequest, content_type: &str, body: Vec<u8>, started: Instant) -> HttpResponse {
    let tag = etag(&body);
    let fresh = match IfNoneMatch::parse(req) {
        Ok(IfNoneMatch::Any) => true,
        Ok(IfNoneMatch::Items(items)) => items.iter().any(|t| t.weak_eq(&tag)),
        Err(_) => false,
    };
    let mut res = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    res.insert_header(header::ETag(tag))
        .insert_header((header::CACHE_CONTROL, "public, max-age=60"))
        .insert_header((header::VARY, "Accept-Language"))
        .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
        .insert_header((
            "Server-Timing",
            format!("render;dur={:.2}", started.elapsed().as_secs_f64() * 1000.0),
        ));
    if fresh {
        res.finish()
    } else {
        res.content_type(content_type).body(body)
    }
}

/// `path?k=v&…&lang=…` with the parameters that are set.
fn query(path: &str, keep: &[(&str, String)], lang: Lang) -> String {
    let mut pairs: Vec<String> = keep
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| {
            format!(
                "{k}={}",
                url::form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>()
            )
        })
        .collect();
    pairs.push(format!("lang={}", lang.param()));
    format!("{path}?{}", pairs.join("&"))
}

/// The frame of every page: the city's logo text and name, the page's title, the way to the
/// other page and to the other language (keeping the page's parameters).
fn shell(
    lang: Lang,
    title: &str,
    profile: &CityProfile,
    path: &str,
    keep: &[(&str, String)],
    body: Markup,
) -> Markup {
    let href = |l: Lang| query(path, keep, l);
    let city = lang.pick(&profile.name_zh, &profile.name_en);
    html! {
        (DOCTYPE)
        html lang=(lang.tag()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (city) " · " (title) }
                link rel="icon" href="data:,";
                link rel="stylesheet" href="/assets/wufei.css";
                @for l in [Lang::Zh, Lang::En] {
                    link rel="alternate" hreflang=(l.tag()) href=(href(l));
                }
            }
            body {
                header.top {
                    span.logo aria-hidden="true" { (profile.logo_text) }
                    div.names {
                        p.city { (city) }
                        h1 { (title) }
                    }
                    nav aria-label=(lang.pick("页面", "Pages")) {
                        a href={ "/dashboard?lang=" (lang.param()) } aria-current=[(path == "/dashboard").then_some("page")] { (lang.pick("数据大屏", "Dashboard")) }
                        a href={ "/board?lang=" (lang.param()) } aria-current=[(path == "/board").then_some("page")] { (lang.pick("供需信息", "Market board")) }
                        a.lang id="lang-switch" href=(href(lang.other())) hreflang=(lang.other().tag()) lang=(lang.other().tag()) { (lang.switch_label()) }
                    }
                }
                main { (body) }
                footer {
                    p { (lang.pick("数据来源：", "Figures from: "))
                        a href="/api/v1/city/summary" { "/api/v1/city/summary" } ", "
                        a href="/api/v1/stats/summary" { "/api/v1/stats/summary" } ", "
                        a href="/api/v1/city/indicators" { "/api/v1/city/indicators" } " · "
                        a href="/docs/" { (lang.pick("接口文档", "API documentation")) } }
                }
            }
        }
    }
}

/// The language, the year (this one unless asked) and the dashboard's figures for a request.
async fn dashboard_for(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    params: &DashboardParams,
) -> ApiResult<(Lang, i32, dashboard::Dashboard)> {
    let lang = language(req, params.lang.as_deref())?;
    let year = params.year.unwrap_or_else(|| now().year());
    let region = params.region.clone();
    let d = read_replica(state, move |conn, _| dashboard::load(conn, year, region)).await?;
    Ok((lang, year, d))
}

async fn dashboard_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    params: web::Query<DashboardParams>,
) -> ApiResult<HttpResponse> {
    let started = Instant::now();
    let (lang, year, d) = dashboard_for(&req, &state, &params).await?;
    let place = d
        .region
        .as_deref()
        .map(|r| format!(" · {}", d.profile.district_name(r, lang == Lang::Zh)))
        .unwrap_or_default();
    let title = format!(
        "{}{place} {year}",
        lang.pick("无废城市数据大屏", "Zero-Waste City dashboard")
    );
    let region = d.region.clone().unwrap_or_default();
    let to_year = |y: i32| {
        query(
            "/dashboard",
            &[("year", y.to_string()), ("region", region.clone())],
            lang,
        )
    };
    let years = html! {
        nav.years aria-label=(lang.pick("年份", "Year")) {
            a href=(to_year(year - 1)) { "← " (year - 1) }
            span aria-current="page" { (year) }
            a href=(to_year(year + 1)) { (year + 1) " →" }
        }
    };
    let body = html! { (years) (d.body(lang, &state.catalog)) };
    let page = shell(
        lang,
        &title,
        &d.profile,
        "/dashboard",
        &[("year", year.to_string()), ("region", region)],
        body,
    );
    Ok(respond(
        &req,
        "text/html; charset=utf-8",
        page.into_string().into_bytes(),
        started,
    ))
}

/// One chart's numbers as CSV (`exchange`, `utilisation`, `intensity`, `projects`, `capacity`,
/// `indicators`, `flows`).
async fn dashboard_csv(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    params: web::Query<DashboardParams>,
) -> ApiResult<HttpResponse> {
    let started = Instant::now();
    let (lang, _, d) = dashboard_for(&req, &state, &params).await?;
    let chart = path.into_inner();
    let table = d
        .tables(lang, &state.catalog)
        .into_iter()
        .find(|t| t.id == chart)
        .ok_or_else(ApiError::not_found)?;
    Ok(respond(
        &req,
        "text/csv; charset=utf-8",
        table.csv()?,
        started,
    ))
}

/// The language, the checked filters (and the query that keeps them), the board and the city.
async fn board_for(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    params: BoardParams,
) -> ApiResult<(
    Lang,
    Vec<(&'static str, String)>,
    market_board::Board,
    CityProfile,
    BoardFilter,
)> {
    let lang = language(req, params.lang.as_deref())?;
    let filter = BoardFilter {
        category: params.category,
        district: params.district,
        grade: params.grade,
    };
    let codes: Vec<String> = state
        .catalog
        .categories
        .iter()
        .map(|c| c.code.clone())
        .collect();
    market_board::check(&filter, &codes)?;
    let keep = vec![
        (
            "category",
            filter.category().unwrap_or_default().to_string(),
        ),
        (
            "district",
            filter.district().unwrap_or_default().to_string(),
        ),
        ("grade", filter.grade().unwrap_or_default().to_string()),
    ];
    let (board, profile, filter) = read_replica(state, move |conn, _| {
        let board = market_board::board(conn, &filter)?;
        Ok((board, profile::get(conn)?, filter))
    })
    .await?;
    Ok((lang, keep, board, profile, filter))
}

async fn board_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    params: web::Query<BoardParams>,
) -> ApiResult<HttpResponse> {
    let started = Instant::now();
    let (lang, keep, board, profile, filter) = board_for(&req, &state, params.into_inner()).await?;
    let csv = query("/board/districts.csv", &keep, lang);
    let title = lang.pick("固废供需信息", "Solid-waste market board");
    let body = board::body(lang, &board, &filter, &profile, &state.catalog, &csv);
    let page = shell(lang, title, &profile, "/board", &keep, body);
    Ok(respond(
        &req,
        "text/html; charset=utf-8",
        page.into_string().into_bytes(),
        started,
    ))
}

/// The board map's numbers as CSV, for the same filters.
async fn board_csv(
    req: HttpRequest,
    state: web::Data<AppState>,
    params: web::Query<BoardParams>,
) -> ApiResult<HttpResponse> {
    let started = Instant::now();
    let (lang, _, board, profile, _) = board_for(&req, &state, params.into_inner()).await?;
    let table = board::districts_table(lang, &board, &profile);
    Ok(respond(
        &req,
        "text/csv; charset=utf-8",
        table.csv()?,
        started,
    ))
}

async fn stylesheet(req: HttpRequest) -> HttpResponse {
    respond(
        &req,
        "text/css; charset=utf-8",
        STYLESHEET.as_bytes().to_vec(),
        Instant::now(),
    )
}
