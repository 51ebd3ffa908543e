//! The demo streams: Jiuyuan's fly ash with its heating season and yard, Qingshan Cement's intake
//! with its winter stop, and a year's supply contract between them with this month called off.

use diesel::prelude::*;
use serde_json::json;

use crate::db::schema::{demands, listings};
use crate::db::{DbConnection, now};
use crate::domain::supply::Month;
use crate::error::ApiError;
use crate::service::accounts::access::CurrentUser;
use crate::service::market::catalog::Catalog;
use crate::service::supply::call_offs::{self, CallOffInput};
use crate::service::supply::contracts::{
    self, ContractDecision, ContractDecisionRequest, ContractInput,
};
use crate::service::supply::profiles::{self, IntakeProfileInput, StreamProfileInput};

fn parse<T: serde::de::DeserializeOwned>(value: serde_json::Value) -> Result<T, ApiError> {
    serde_json::from_value(value).map_err(|e| ApiError::internal(anyhow::anyhow!(e)))
}

fn tonnes(values: [i64; 12]) -> Vec<String> {
    values.iter().map(i64::to_string).collect()
}

pub fn seed(
    conn: &mut DbConnection,
    catalog: &Catalog,
    staff: &CurrentUser,
) -> Result<(), ApiError> {
    let power = super::user(conn, "jiuyuan-power@demo.wufei.local")?;
    let cement = super::user(conn, "cement@demo.wufei.local")?;
    let ash: String = listings::table
        .filter(listings::organization_id.eq(power.organization_id.clone().unwrap_or_default()))
        .filter(listings::category_code.eq("SW02"))
        .select(listings::id)
        .first(conn)?;
    let wanted: String = demands::table
        .filter(demands::organization_id.eq(cement.organization_id.clone().unwrap_or_default()))
        .filter(demands::monthly_kg.is_not_null())
        .select(demands::id)
        .first(conn)?;
    // Two boilers run harder in the heating season (October to April).
    profiles::put_stream(
        conn,
        &power,
        &ash,
        &parse::<StreamProfileInput>(json!({
            "monthly_t": tonnes([3200, 3200, 3000, 2400, 2000, 2000, 2000, 2000, 2200, 2600, 3000, 3200]),
            "yard_stock_t": "21000", "yard_capacity_t": "30000"
        }))?,
    )?;
    // The kiln slows in the winter stop (December to February).
    profiles::put_intake(
        conn,
        &cement,
        &wanted,
        &parse::<IntakeProfileInput>(json!({
            "monthly_t": tonnes([600, 600, 1800, 2400, 2400, 2400, 2400, 2400, 2400, 2200, 1600, 800])
        }))?,
    )?;
    let this = Month::of(now().date());
    let proposal: ContractInput = parse(json!({
        "listing_id": ash, "demand_id": wanted,
        "terms": {
            "start_month": this.to_string(), "end_month": this.plus(11).to_string(),
            "min_monthly_t": "500", "max_monthly_t": "1200", "price_per_t": "30.00",
            "price_schedule": [{"quarter": this.plus(3).quarter(), "price_per_t": "26.00"}],
            "delivery_terms": "pickup", "intended_use": "cement",
            "property_bounds": {"loi_pct": {"max": 8.0}}, "min_grades": {"fly_ash": "II"},
            "message": "年度供货协议：水泥掺合料 Annual supply for blended cement"
        }
    }))?;
    let contract = contracts::propose(conn, catalog, &cement, &proposal)?;
    contracts::agree(conn, &power, &contract.id)?;
    crate::service::supply::decide(
        conn,
        catalog,
        staff,
        &contract.id,
        &ContractDecisionRequest {
            decision: ContractDecision::Approve,
            reason: "demo data".into(),
        },
    )?;
    call_offs::place(
        conn,
        &cement,
        &contract.id,
        &parse::<CallOffInput>(json!({"month": this.to_string(), "called_t": "800"}))?,
    )?;
    Ok(())
}
