//! The city as its public pages show it: its name in Chinese and English, the logo text, the
//! names of its districts (the board's map and the dashboard's flows label districts with them),
//! and the exchange's own yearly targets (tonnes traded, CO2 avoided). The official targets —
//! utilisation rate, capacity added — stay indicator tasks. The only writer of `city_profiles`.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use validator::Validate;

use crate::db::schema::city_profiles;
use crate::db::{DbConnection, now};
use crate::domain::quantity::format_tonnes;
use crate::error::ApiError;
use crate::service::accounts::access::CurrentUser;
use crate::service::audit::{self, Entry};
use crate::service::input::Checks;

/// A district's names (GB/T 2260 code of the city's county-level divisions).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DistrictName {
    #[schema(pattern = r"^[0-9]{6}$", example = "150203")]
    pub code: String,
    #[schema(
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$",
        min_length = 1,
        max_length = 40,
        example = "昆都仑区"
    )]
    pub name_zh: String,
    #[schema(
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$",
        min_length = 1,
        max_length = 60,
        example = "Kundulun"
    )]
    pub name_en: String,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProfileQuery {
    /// Another city's own profile (`1506`) instead of the platform's.
    #[param(pattern = "^[0-9]{4}$")]
    pub region: Option<String>,
}

#[derive(Debug, Deserialize, Serialize, ToSchema, Validate)]
#[serde(deny_unknown_fields)]
pub struct CityProfileInput {
    /// The city's prefecture code (GB/T 2260), ending in 00.
    #[schema(pattern = r"^[0-9]{4}00$", example = "150200")]
    pub region_code: String,
    #[schema(
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$",
        min_length = 1,
        max_length = 60,
        example = "包头市"
    )]
    pub name_zh: String,
    #[schema(
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$",
        min_length = 1,
        max_length = 80,
        example = "Baotou"
    )]
    pub name_en: String,
    /// A few characters shown as the logo (no image is fetched).
    #[schema(
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$",
        min_length = 1,
        max_length = 12,
        example = "无废包头"
    )]
    pub logo_text: String,
    /// At most 40, each code once, within the city.
    #[serde(default)]
    #[schema(max_items = 40)]
    #[validate(length(max = 40))]
    pub districts: Vec<DistrictName>,
    /// Tonnes to be traded on the exchange in a year (kilograms are the finest unit).
    #[schema(minimum = 0.001, maximum = 1e9)]
    pub traded_target_t: Option<f64>,
    /// Net t CO2 to be avoided through the exchange in a year.
    #[schema(exclusive_minimum = 0, maximum = 1e9)]
    pub co2_target_t: Option<f64>,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct CityProfile {
    /// `null` until staff set the profile.
    pub region_code: Option<String>,
    pub name_zh: String,
    pub name_en: String,
    pub logo_text: String,
    pub districts: Vec<DistrictName>,
    pub traded_target_t: Option<String>,
    pub co2_target_t: Option<f64>,
    /// 0 until staff set the profile; send it as `If-Match` to change it.
    pub version: i64,
}

impl CityProfile {
    /// The platform's own city as a region (`1502`), once the profile is set: the city its
    /// indicators and targets are set for.
    pub fn city(&self) -> Option<&str> {
        self.region_code.as_deref().and_then(|c| c.get(..4))
    }

    /// A district's name in the language asked for, else its code.
    pub fn district_name(&self, code: &str, zh: bool) -> String {
        self.districts.iter().find(|d| d.code == code).map_or_else(
            || code.to_string(),
            |d| {
                if zh {
                    d.name_zh.clone()
                } else {
                    d.name_en.clone()
                }
            },
        )
    }
}

#[derive(Queryable)]
struct ProfileRow {
    region_code: String,
    name_zh: String,
    name_en: String,
    logo_text: String,
    districts: String,
    traded_target_kg: Option<i64>,
    co2_target_t: Option<f64>,
    version: i64,
}

impl ProfileRow {
    fn view(self) -> CityProfile {
        CityProfile {
            region_code: Some(self.region_code),
            name_zh: self.name_zh,
            name_en: self.name_en,
            logo_text: self.logo_text,
            districts: serde_json::from_str(&self.districts).unwrap_or_default(),
            traded_target_t: self.traded_target_kg.map(format_tonnes),
            co2_target_t: self.co2_target_t,
            version: self.version,
        }
    }
}

/// The platform's own city (the home): it frames the pages and its indicator tasks are set.
/// Before staff set one, the exchange's own name and no targets.
pub fn get(conn: &mut DbConnection) -> QueryResult<CityProfile> {
    Ok(city_profiles::table
        .filter(city_profiles::home.eq(true))
        .select(COLUMNS)
        .first::<ProfileRow>(conn)
        .optional()?
        .map_or_else(unset, ProfileRow::view))
}

/// A city's own profile (`1506`), once staff set one.
pub fn of_city(conn: &mut DbConnection, city: &str) -> QueryResult<Option<CityProfile>> {
    Ok(city_profiles::table
        .filter(city_profiles::region_code.eq(format!("{city}00")))
        .select(COLUMNS)
        .first::<ProfileRow>(conn)
        .optional()?
        .map(ProfileRow::view))
}

const COLUMNS: (
    city_profiles::region_code,
    city_profiles::name_zh,
    city_profiles::name_en,
    city_profiles::logo_text,
    city_profiles::districts,
    city_profiles::traded_target_kg,
    city_profiles::co2_target_t,
    city_profiles::version,
) = (
    city_profiles::region_code,
    city_profiles::name_zh,
    city_profiles::name_en,
    city_profiles::logo_text,
    city_profiles::districts,
    city_profiles::traded_target_kg,
    city_profiles::co2_target_t,
    city_profiles::version,
);

fn unset() -> CityProfile {
    CityProfile {
        region_code: None,
        name_zh: "无废城市".into(),
        name_en: "Zero-Waste City".into(),
        logo_text: "无废".into(),
        districts: Vec::new(),
        traded_target_t: None,
        co2_target_t: None,
        version: 0,
    }
}

/// `region` of the profile routes: a city's four digits.
fn check_city(c: &mut Checks, city: Option<&str>) {
    if city.is_some_and(|r| r.len() != 4 || !r.bytes().all(|b| b.is_ascii_digit())) {
        c.push("region", "invalid", "must be a city's 4 digits");
    }
}

/// The profile the public reads: the platform's own city's, or with `city` that city's own
/// (`not_found` until its staff set one).
pub fn read(conn: &mut DbConnection, city: Option<&str>) -> Result<CityProfile, ApiError> {
    let mut c = Checks::default();
    check_city(&mut c, city);
    c.finish()?;
    match city {
        Some(city) => of_city(conn, city)?.ok_or_else(ApiError::not_found),
        None => Ok(get(conn)?),
    }
}

fn check(req: &CityProfileInput) -> Result<(), ApiError> {
    let mut c = Checks::of(req);
    let code = &req.region_code;
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) || !code.ends_with("00") {
        c.push(
            "region_code",
            "invalid_region",
            "must be a city's 6-digit GB/T 2260 code, ending in 00",
        );
    }
    c.text("name_zh", &req.name_zh, 1, 60);
    c.text("name_en", &req.name_en, 1, 80);
    c.text("logo_text", &req.logo_text, 1, 12);
    for (i, d) in req.districts.iter().enumerate() {
        let field = format!("districts[{i}]");
        let within = d.code.len() == 6
            && d.code.bytes().all(|b| b.is_ascii_digit())
            && d.code.get(..4) == code.get(..4)
            && !d.code.ends_with("00");
        if !within {
            c.push(
                &format!("{field}.code"),
                "invalid_region",
                "must be a district's 6-digit code within the city",
            );
        }
        if req.districts[..i].iter().any(|e| e.code == d.code) {
            c.push(&format!("{field}.code"), "duplicate", "named twice");
        }
        c.text(&format!("{field}.name_zh"), &d.name_zh, 1, 40);
        c.text(&format!("{field}.name_en"), &d.name_en, 1, 60);
    }
    // Kilograms are what the exchange stores: a traded target below one would round to none.
    if req
        .traded_target_t
        .is_some_and(|t| !(0.001..=1e9).contains(&t))
    {
        c.push(
            "traded_target_t",
            "out_of_range",
            "must be at least 0.001 and at most 1e9",
        );
    }
    if req.co2_target_t.is_some_and(|t| !(t > 0.0 && t <= 1e9)) {
        c.push(
            "co2_target_t",
            "out_of_range",
            "must be above 0 and at most 1e9",
        );
    }
    c.finish()
}

/// Staff set a city's profile: the platform's own (`city` absent; the body's city becomes the
/// home and replaces the previous home profile) or another city's (`city` = `1506`, which the
/// body must name). Staff of some cities set only their cities' profiles. `If-Match` with the
/// current version, when sent, guards against a colleague's edit.
pub fn set(
    conn: &mut DbConnection,
    user: &CurrentUser,
    city: Option<&str>,
    req: &CityProfileInput,
    version: Option<i64>,
) -> Result<CityProfile, ApiError> {
    user.require_staff()?;
    let mut c = Checks::default();
    check_city(&mut c, city);
    if city.is_some_and(|city| req.region_code.get(..4) != Some(city)) {
        c.push(
            "region_code",
            "invalid_region",
            "must be the code of the city named by region (its 4 digits and 00)",
        );
    }
    c.finish()?;
    check(req)?;
    let home_profile = get(conn)?;
    let home = city.is_none() || city == home_profile.city();
    let before = match city {
        Some(city) if !home => of_city(conn, city)?.unwrap_or_else(unset),
        _ => home_profile,
    };
    let touched = [before.city(), req.region_code.get(..4)];
    if touched.into_iter().flatten().any(|code| !user.covers(code)) {
        return Err(ApiError::field(
            "region_code",
            "out_of_scope",
            "name a city you work for",
        ));
    }
    if version.is_some_and(|v| v != before.version) {
        return Err(ApiError::stale("city profile"));
    }
    let mut districts = req.districts.clone();
    districts.sort_by(|a, b| a.code.cmp(&b.code));
    // The city's row, and when the home moves, the old home's.
    diesel::delete(city_profiles::table.filter(city_profiles::region_code.eq(&req.region_code)))
        .execute(conn)?;
    if home {
        diesel::delete(city_profiles::table.filter(city_profiles::home.eq(true))).execute(conn)?;
    }
    diesel::insert_into(city_profiles::table)
        .values((
            city_profiles::region_code.eq(&req.region_code),
            city_profiles::name_zh.eq(req.name_zh.trim()),
            city_profiles::name_en.eq(req.name_en.trim()),
            city_profiles::logo_text.eq(req.logo_text.trim()),
            city_profiles::districts.eq(serde_json::to_string(&districts).unwrap_or_default()),
            city_profiles::traded_target_kg
                .eq(req.traded_target_t.map(|t| (t * 1000.0).round() as i64)),
            city_profiles::co2_target_t.eq(req.co2_target_t),
            city_profiles::version.eq(before.version + 1),
            city_profiles::updated_by.eq(&user.id),
            city_profiles::updated_at.eq(now()),
            city_profiles::home.eq(home),
        ))
        .execute(conn)?;
    let after = of_city(conn, &req.region_code[..4])?.unwrap_or_else(unset);
    audit::record(
        conn,
        Entry {
            actor: Some(&user.id),
            action: "city_profile.set",
            object_type: "city_profile",
            object_id: &req.region_code,
            reason: None,
        },
        (before.version > 0).then_some(&before),
        Some(&after),
    )?;
    Ok(after)
}
