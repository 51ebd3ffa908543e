//! Computed grades: every limit of every rule in one table, so a standard's revision is one edit
//! here (and a new `RULE_SET` name, stored with each result).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Name of this version of the rule table; stored with every computed grade.
pub const RULE_SET: &str = "wufei-grades-2026.1";

/// A lab value: a number, or one of the category's choices (e.g. boiler type).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum PropertyValue {
    Number(f64),
    Text(String),
}

impl PropertyValue {
    pub fn number(&self) -> Option<f64> {
        match self {
            Self::Number(n) => Some(*n),
            Self::Text(_) => None,
        }
    }
}

pub type Properties = BTreeMap<String, PropertyValue>;

/// `value ≤ max` for the property `key`.
pub struct Limit {
    pub key: &'static str,
    pub max: f64,
}

const fn at_most(key: &'static str, max: f64) -> Limit {
    Limit { key, max }
}

/// A grade and the limits a lot must meet for it; steps are tried best first.
pub struct Step {
    pub grade: &'static str,
    pub limits: &'static [Limit],
}

pub enum Applies {
    Category(&'static str),
    Subtypes(&'static [&'static str]),
    /// Every category bound for building materials.
    BuildingMaterial,
}

pub struct Rule {
    pub name: &'static str,
    pub standard: &'static str,
    pub applies: Applies,
    pub steps: &'static [Step],
    /// Limits every grade must also meet.
    pub common: &'static [Limit],
    /// A property value that makes the lot ungradable under this standard.
    pub excluded: Option<(&'static str, &'static str)>,
}

pub const RULES: &[Rule] = &[
    Rule {
        name: "fly_ash",
        standard: "GB/T 1596-2017",
        applies: Applies::Category("SW02"),
        steps: &[
            Step {
                grade: "I",
                limits: &[
                    at_most("fineness_45um_pct", 12.0),
                    at_most("water_demand_ratio_pct", 95.0),
                    at_most("loi_pct", 5.0),
                ],
            },
            Step {
                grade: "II",
                limits: &[
                    at_most("fineness_45um_pct", 30.0),
                    at_most("water_demand_ratio_pct", 105.0),
                    at_most("loi_pct", 8.0),
                ],
            },
            Step {
                grade: "III",
                limits: &[
                    at_most("fineness_45um_pct", 45.0),
                    at_most("water_demand_ratio_pct", 115.0),
                    at_most("loi_pct", 10.0),
                ],
            },
        ],
        common: &[at_most("moisture_pct", 1.0), at_most("so3_pct", 3.0)],
        // CFB ash is not GB/T 1596 fly ash.
        excluded: Some(("boiler_type", "cfb")),
    },
    Rule {
        name: "steel_slag_stability",
        standard: "GB/T 24175-2009",
        applies: Applies::Subtypes(&["steel_slag_bof", "steel_slag_eaf", "steel_slag_ladle"]),
        steps: &[Step {
            grade: "pass",
            limits: &[
                at_most("free_cao_pct", 4.0),
                at_most("immersion_expansion_pct", 2.0),
            ],
        }],
        common: &[],
        excluded: None,
    },
    Rule {
        name: "radioactivity",
        standard: "GB 6566-2010",
        applies: Applies::BuildingMaterial,
        steps: &[Step {
            grade: "pass",
            limits: &[at_most("i_ra", 1.0), at_most("i_gamma", 1.0)],
        }],
        common: &[],
        excluded: None,
    },
];

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct GradeResult {
    /// `I`, `II`, `III` (fly ash) or `pass`; `fail`; `ungraded` when a value is missing or the
    /// standard does not apply (CFB ash).
    pub grade: String,
    pub standard: &'static str,
    pub rule_set: &'static str,
    /// Properties the grade needs that were not given.
    pub missing: Vec<&'static str>,
}

/// Which rules apply to a lot of this category and sub-type.
pub fn rules_for<'a>(
    category: &'a str,
    subtype: Option<&'a str>,
    building_material: bool,
) -> impl Iterator<Item = &'static Rule> + 'a {
    RULES.iter().filter(move |r| match &r.applies {
        Applies::Category(c) => *c == category,
        Applies::Subtypes(list) => subtype.is_some_and(|s| list.contains(&s)),
        Applies::BuildingMaterial => building_material,
    })
}

fn meets(limits: &[Limit], values: &Properties) -> bool {
    limits.iter().all(|l| {
        values
            .get(l.key)
            .and_then(PropertyValue::number)
            .is_some_and(|v| v <= l.max)
    })
}

pub fn grade(rule: &Rule, values: &Properties) -> GradeResult {
    let result = |grade: &str, missing| GradeResult {
        grade: grade.into(),
        standard: rule.standard,
        rule_set: RULE_SET,
        missing,
    };
    if let Some((key, value)) = rule.excluded
        && values.get(key) == Some(&PropertyValue::Text(value.into()))
    {
        return result("ungraded", Vec::new());
    }
    let mut needed: Vec<&'static str> = rule
        .steps
        .iter()
        .flat_map(|s| s.limits.iter())
        .chain(rule.common)
        .map(|l| l.key)
        .filter(|k| values.get(*k).and_then(PropertyValue::number).is_none())
        .collect();
    needed.sort_unstable();
    needed.dedup();
    if !needed.is_empty() {
        return result("ungraded", needed);
    }
    let grade = rule
        .steps
        .iter()
        .find(|s| meets(s.limits, values) && meets(rule.common, values))
        .map_or("fail", |s| s.grade);
    result(grade, Vec::new())
}

/// Every applicable grade of a lot, by rule name.
pub fn grade_all(
    category: &str,
    subtype: Option<&str>,
    building_material: bool,
    values: &Properties,
) -> BTreeMap<&'static str, GradeResult> {
    rules_for(category, subtype, building_material)
        .map(|r| (r.name, grade(r, values)))
        .collect()
}

/// The grades a search for `wanted` accepts: that grade or better (steps are best first).
pub fn at_least(rule: &str, wanted: &str) -> Option<Vec<&'static str>> {
    let rule = RULES.iter().find(|r| r.name == rule)?;
    let position = rule.steps.iter().position(|s| s.grade == wanted)?;
    Some(rule.steps[..=position].iter().map(|s| s.grade).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(pairs: &[(&str, f64)]) -> Properties {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), PropertyValue::Number(*v)))
            .collect()
    }

    fn fly_ash(fineness: f64, water: f64, loi: f64, moisture: f64, so3: f64) -> String {
        let v = values(&[
            ("fineness_45um_pct", fineness),
            ("water_demand_ratio_pct", water),
            ("loi_pct", loi),
            ("moisture_pct", moisture),
            ("so3_pct", so3),
        ]);
        grade(&RULES[0], &v).grade
    }

    #[test]
    fn fly_ash_boundaries() {
        // Each limit exactly on the boundary belongs to the better grade; just past it does not.
        assert_eq!(fly_ash(12.0, 95.0, 5.0, 1.0, 3.0), "I");
        assert_eq!(fly_ash(12.01, 95.0, 5.0, 1.0, 3.0), "II");
        assert_eq!(fly_ash(12.0, 95.01, 5.0, 1.0, 3.0), "II");
        assert_eq!(fly_ash(12.0, 95.0, 5.01, 1.0, 3.0), "II");
        assert_eq!(fly_ash(30.0, 105.0, 8.0, 1.0, 3.0), "II");
        assert_eq!(fly_ash(30.01, 105.0, 8.0, 1.0, 3.0), "III");
        assert_eq!(fly_ash(30.0, 105.01, 8.0, 1.0, 3.0), "III");
        assert_eq!(fly_ash(30.0, 105.0, 8.01, 1.0, 3.0), "III");
        assert_eq!(fly_ash(45.0, 115.0, 10.0, 1.0, 3.0), "III");
        assert_eq!(fly_ash(45.01, 115.0, 10.0, 1.0, 3.0), "fail");
        assert_eq!(fly_ash(45.0, 115.01, 10.0, 1.0, 3.0), "fail");
        assert_eq!(fly_ash(45.0, 115.0, 10.01, 1.0, 3.0), "fail");
        // Moisture and SO3 bind every grade.
        assert_eq!(fly_ash(10.0, 90.0, 3.0, 1.01, 3.0), "fail");
        assert_eq!(fly_ash(10.0, 90.0, 3.0, 1.0, 3.01), "fail");
    }

    #[test]
    fn fly_ash_ungraded_when_missing_or_cfb() {
        let mut v = values(&[("fineness_45um_pct", 10.0), ("loi_pct", 3.0)]);
        let r = grade(&RULES[0], &v);
        assert_eq!(r.grade, "ungraded");
        assert_eq!(
            r.missing,
            vec!["moisture_pct", "so3_pct", "water_demand_ratio_pct"]
        );
        v = values(&[
            ("fineness_45um_pct", 10.0),
            ("water_demand_ratio_pct", 90.0),
            ("loi_pct", 3.0),
            ("moisture_pct", 0.5),
            ("so3_pct", 1.0),
        ]);
        v.insert("boiler_type".into(), PropertyValue::Text("cfb".into()));
        assert_eq!(grade(&RULES[0], &v).grade, "ungraded");
        v.insert(
            "boiler_type".into(),
            PropertyValue::Text("pulverized_coal".into()),
        );
        assert_eq!(grade(&RULES[0], &v).grade, "I");
    }

    #[test]
    fn steel_slag_stability_boundaries() {
        let g = |cao, exp| {
            grade(
                &RULES[1],
                &values(&[("free_cao_pct", cao), ("immersion_expansion_pct", exp)]),
            )
            .grade
        };
        assert_eq!(g(4.0, 2.0), "pass");
        assert_eq!(g(4.01, 2.0), "fail");
        assert_eq!(g(4.0, 2.01), "fail");
        assert_eq!(
            grade(&RULES[1], &values(&[("free_cao_pct", 1.0)])).grade,
            "ungraded"
        );
    }

    #[test]
    fn radioactivity_boundaries() {
        let g = |ra, gamma| grade(&RULES[2], &values(&[("i_ra", ra), ("i_gamma", gamma)])).grade;
        assert_eq!(g(1.0, 1.0), "pass");
        assert_eq!(g(1.01, 1.0), "fail");
        assert_eq!(g(1.0, 1.01), "fail");
    }

    #[test]
    fn rules_apply_by_category_and_subtype() {
        let names = |c, s, b| rules_for(c, s, b).map(|r| r.name).collect::<Vec<_>>();
        assert_eq!(names("SW02", None, true), vec!["fly_ash", "radioactivity"]);
        assert_eq!(
            names("SW01", Some("steel_slag_bof"), true),
            vec!["steel_slag_stability", "radioactivity"]
        );
        assert_eq!(
            names("SW01", Some("blast_furnace_slag"), true),
            vec!["radioactivity"]
        );
        assert_eq!(names("SW07", None, false), Vec::<&str>::new());
    }

    #[test]
    fn no_rule_has_more_than_three_grades() {
        // The search binds at most three grades per rule.
        assert!(RULES.iter().all(|r| r.steps.len() <= 3));
    }

    #[test]
    fn at_least_means_that_grade_or_better() {
        assert_eq!(at_least("fly_ash", "II"), Some(vec!["I", "II"]));
        assert_eq!(at_least("fly_ash", "I"), Some(vec!["I"]));
        assert_eq!(at_least("radioactivity", "pass"), Some(vec!["pass"]));
        assert_eq!(at_least("fly_ash", "IV"), None);
    }
}
