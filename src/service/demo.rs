//! `wufei seed-demo`: a realistic Baotou exchange for local use. Idempotent: a second run leaves
//! the data as it is. The credentials are documented in the README and are for local use only.

use diesel::prelude::*;

use crate::db::schema::{organizations, sites, users};
use crate::db::{DbConnection, now, write_tx};
use crate::domain::organization::OrgKind;
use crate::domain::uscc::with_check_character;
use crate::error::ApiError;
use crate::service::tokens::new_id;
use crate::service::{accounts, passwords};

pub const DEMO_PASSWORD: &str = "Baotou-Demo-Slag-2026";

struct DemoOrg {
    legal_name: &'static str,
    uscc_body: &'static str,
    kinds: &'static [OrgKind],
    email: &'static str,
    site: (&'static str, &'static str, &'static str, f64, f64),
}

const ORGS: &[DemoOrg] = &[
    DemoOrg {
        legal_name: "包头钢铁渣业示范有限公司 Baotou Steel Slag Demo Co., Ltd.",
        uscc_body: "91150203MA0DEM001",
        kinds: &[OrgKind::Producer],
        email: "steel@demo.wufei.local",
        site: (
            "BOF slag yard 转炉钢渣堆场",
            "150203",
            "昆都仑区河西工业区",
            40.653,
            109.774,
        ),
    },
    DemoOrg {
        legal_name: "包头九原热电示范有限公司 Jiuyuan Thermal Power Demo Co., Ltd.",
        uscc_body: "91150207MA0DEM002",
        kinds: &[OrgKind::Producer],
        email: "jiuyuan-power@demo.wufei.local",
        site: (
            "Ash silo 灰库",
            "150207",
            "九原区哈林格尔镇",
            40.566,
            109.968,
        ),
    },
    DemoOrg {
        legal_name: "包头东河热电示范有限公司 Donghe Thermal Power Demo Co., Ltd.",
        uscc_body: "91150202MA0DEM003",
        kinds: &[OrgKind::Producer],
        email: "donghe-power@demo.wufei.local",
        site: (
            "Gypsum shed 脱硫石膏库",
            "150202",
            "东河区沙尔沁工业园",
            40.580,
            110.120,
        ),
    },
    DemoOrg {
        legal_name: "包头青山水泥示范有限公司 Qingshan Cement Demo Co., Ltd.",
        uscc_body: "91150204MA0DEM004",
        kinds: &[OrgKind::Receiver],
        email: "cement@demo.wufei.local",
        site: (
            "Cement plant 水泥厂",
            "150204",
            "青山区装备制造产业园",
            40.680,
            109.880,
        ),
    },
    DemoOrg {
        legal_name: "土右旗新型墙材示范有限公司 Tumed Right Wall Materials Demo Co., Ltd.",
        uscc_body: "91150221MA0DEM005",
        kinds: &[OrgKind::Receiver],
        email: "bricks@demo.wufei.local",
        site: (
            "Brick works 砖厂",
            "150221",
            "土默特右旗萨拉齐镇",
            40.560,
            110.520,
        ),
    },
    DemoOrg {
        legal_name: "包头路桥建设示范有限公司 Baotou Road & Bridge Demo Co., Ltd.",
        uscc_body: "91150202MA0DEM006",
        kinds: &[OrgKind::Receiver],
        email: "roads@demo.wufei.local",
        site: (
            "Road base plant 路基材料站",
            "150202",
            "东河区南绕城公路",
            40.560,
            110.030,
        ),
    },
    DemoOrg {
        legal_name: "内蒙古科技大学固废资源化示范实验室 IMUST Solid Waste Demo Lab",
        uscc_body: "12150000MA0DEM007",
        kinds: &[OrgKind::Research, OrgKind::Receiver],
        email: "lab@demo.wufei.local",
        site: (
            "Campus lab 校内实验室",
            "150203",
            "昆都仑区阿尔丁大街7号",
            40.620,
            109.840,
        ),
    },
    DemoOrg {
        legal_name: "包头固废产学研联盟（示范） Baotou Solid Waste Alliance (demo)",
        uscc_body: "52150200MA0DEM008",
        kinds: &[OrgKind::Alliance],
        email: "staff@demo.wufei.local",
        site: (
            "Alliance office 联盟办公室",
            "150203",
            "昆都仑区钢铁大街",
            40.650,
            109.840,
        ),
    },
];

/// Seeds the demo organizations, their owners, one staff member and one admin. Returns how many
/// organizations were added (0 when already seeded).
pub fn seed(conn: &mut DbConnection) -> Result<usize, ApiError> {
    let hash = passwords::hash(DEMO_PASSWORD)?;
    let added = write_tx(conn, |conn| {
        let mut added = 0;
        for org in ORGS {
            let uscc = with_check_character(org.uscc_body).ok_or_else(|| {
                ApiError::internal(anyhow::anyhow!("bad demo USCC {}", org.uscc_body))
            })?;
            let exists: i64 = organizations::table
                .filter(organizations::uscc.eq(&uscc))
                .count()
                .get_result(conn)?;
            if exists > 0 {
                continue;
            }
            let at = now();
            let org_id = new_id();
            diesel::insert_into(organizations::table)
                .values((
                    organizations::id.eq(&org_id),
                    organizations::legal_name.eq(org.legal_name),
                    organizations::uscc.eq(&uscc),
                    organizations::kinds.eq(OrgKind::join(org.kinds)),
                    organizations::verification_status.eq("verified"),
                    organizations::created_at.eq(at),
                    organizations::updated_at.eq(at),
                ))
                .execute(conn)?;
            let (name, region, address, lat, lon) = org.site;
            diesel::insert_into(sites::table)
                .values((
                    sites::id.eq(new_id()),
                    sites::organization_id.eq(&org_id),
                    sites::name.eq(name),
                    sites::region_code.eq(region),
                    sites::address.eq(address),
                    sites::lat.eq(lat),
                    sites::lon.eq(lon),
                    sites::created_at.eq(at),
                    sites::updated_at.eq(at),
                ))
                .execute(conn)?;
            let staff = org.kinds.contains(&OrgKind::Alliance);
            diesel::insert_into(users::table)
                .values((
                    users::id.eq(new_id()),
                    users::email.eq(org.email),
                    users::display_name.eq(org
                        .legal_name
                        .split(' ')
                        .next()
                        .unwrap_or(org.legal_name)),
                    users::password_hash.eq(&hash),
                    users::email_verified.eq(true),
                    users::language.eq("zh"),
                    users::organization_id.eq(&org_id),
                    users::org_role.eq("owner"),
                    users::platform_role.eq(staff.then_some("staff")),
                    users::created_at.eq(at),
                    users::updated_at.eq(at),
                ))
                .execute(conn)?;
            added += 1;
        }
        Ok::<_, ApiError>(added)
    })?;
    // Idempotent: makes the demo admin again (and resets its password) on every run.
    accounts::create_admin(conn, "admin@demo.wufei.local", DEMO_PASSWORD)?;
    Ok(added)
}
