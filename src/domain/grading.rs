//! Computed grades: every limit of every grading rule in one table, so a standard's revision is
//! one edit here (and a new `RULE_SET` name, stored with each result). Which grades each use of a
//! material needs lives next door, in `domain::uses`. docs/standards/ has a page per standard.
//!
//! Values are compared as the lab reports them, not rounded again: a lab reports to the precision
//! its method states (rounding per GB/T 8170 is the lab's step), so a value given with more digits
//! is compared strictly and can only make a grade stricter, never looser (docs/DECISIONS.md).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Name of this version of the rule table; stored with every computed grade.
pub const RULE_SET: &str = "wufei-grades-2026.2";

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

/// What a value must be.
#[derive(Debug, Clone, Copy)]
pub enum Test {
    AtMost(f64),
    AtLeast(f64),
    Between(f64, f64),
    Is(&'static str),
}

/// One requirement on the property `key`; with `when`, only for lots whose property `when.0` is
/// `when.1` (fly ash class C).
#[derive(Clone, Copy)]
pub struct Limit {
    pub key: &'static str,
    pub test: Test,
    pub when: Option<(&'static str, &'static str)>,
}

const fn at_most(key: &'static str, max: f64) -> Limit {
    Limit {
        key,
        test: Test::AtMost(max),
        when: None,
    }
}

const fn at_least_value(key: &'static str, min: f64) -> Limit {
    Limit {
        key,
        test: Test::AtLeast(min),
        when: None,
    }
}

const fn when(limit: Limit, key: &'static str, value: &'static str) -> Limit {
    Limit {
        when: Some((key, value)),
        ..limit
    }
}

impl Limit {
    /// Whether the limit binds this lot: `None` when the condition's own value is missing.
    fn binds(&self, values: &Properties) -> Option<bool> {
        match self.when {
            None => Some(true),
            Some((key, wanted)) => match values.get(key) {
                Some(PropertyValue::Text(t)) => Some(t == wanted),
                _ => None,
            },
        }
    }

    fn met(&self, values: &Properties) -> bool {
        let value = values.get(self.key);
        let number = value.and_then(PropertyValue::number);
        match self.test {
            Test::AtMost(max) => number.is_some_and(|v| v <= max),
            Test::AtLeast(min) => number.is_some_and(|v| v >= min),
            Test::Between(low, high) => number.is_some_and(|v| (low..=high).contains(&v)),
            Test::Is(wanted) => value == Some(&PropertyValue::Text(wanted.into())),
        }
    }
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
    Every,
}

pub struct Rule {
    pub name: &'static str,
    /// What the grade is for, in a few words.
    pub title: &'static str,
    /// The standard (and table) the limits come from.
    pub standard: &'static str,
    /// Test methods the values are measured by: named, not limits.
    pub methods: &'static [&'static str],
    pub applies: Applies,
    pub steps: &'static [Step],
    /// Limits every grade must also meet.
    pub common: &'static [Limit],
    /// A property value that makes the lot ungradable under this standard.
    pub excluded: Option<(&'static str, &'static str)>,
}

const STEEL_SLAG: &[&str] = &["steel_slag_bof", "steel_slag_eaf", "steel_slag_ladle"];

/// GB/T 1596-2017: free CaO by class, and soundness for class C; for both tables.
const FLY_ASH_CLASS: [Limit; 3] = [
    when(at_most("free_cao_pct", 1.0), "fly_ash_class", "F"),
    when(at_most("free_cao_pct", 4.0), "fly_ash_class", "C"),
    when(at_most("soundness_mm", 5.0), "fly_ash_class", "C"),
];

pub const RULES: &[Rule] = &[
    Rule {
        name: "fly_ash",
        title: "Fly ash for mortar and concrete (Table 1)",
        standard: "GB/T 1596-2017",
        methods: &[
            "GB/T 1345 (fineness)",
            "GB/T 1596-2017 Annex A (water demand)",
            "GB/T 176 (LOI, SO3, free CaO)",
            "GB/T 1346 (soundness, Le Chatelier)",
        ],
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
        common: &[
            at_most("moisture_pct", 1.0),
            at_most("so3_pct", 3.0),
            FLY_ASH_CLASS[0],
            FLY_ASH_CLASS[1],
            FLY_ASH_CLASS[2],
        ],
        // CFB ash is not GB/T 1596 fly ash.
        excluded: Some(("boiler_type", "cfb")),
    },
    Rule {
        name: "fly_ash_cement",
        title: "Fly ash as an active blending material for cement (Table 2, ungraded)",
        standard: "GB/T 1596-2017",
        methods: &["GB/T 176 (LOI, SO3, free CaO)", "GB/T 1346 (soundness)"],
        applies: Applies::Category("SW02"),
        steps: &[Step {
            grade: "pass",
            limits: &[at_most("loi_pct", 8.0), at_most("so3_pct", 3.5)],
        }],
        common: &[
            at_most("moisture_pct", 1.0),
            FLY_ASH_CLASS[0],
            FLY_ASH_CLASS[1],
            FLY_ASH_CLASS[2],
        ],
        excluded: Some(("boiler_type", "cfb")),
    },
    Rule {
        name: "steel_slag_powder",
        title: "Steel slag powder for cement and concrete",
        standard: "GB/T 20491-2017",
        methods: &[
            "YB/T 4328 (free CaO in steel slag)",
            "GB/T 176 (SO3)",
            "GB/T 750 (autoclave soundness)",
        ],
        applies: Applies::Subtypes(STEEL_SLAG),
        steps: &[Step {
            grade: "pass",
            limits: &[
                at_most("free_cao_pct", 4.0),
                at_most("so3_pct", 4.0),
                at_most("autoclave_expansion_pct", 0.50),
            ],
        }],
        common: &[],
        excluded: None,
    },
    Rule {
        name: "steel_slag_aggregate",
        title: "Steel slag aggregate for road bases and backfill (volume stability)",
        standard: "GB/T 25824-2010",
        methods: &["GB/T 24175-2009 (immersion expansion)"],
        applies: Applies::Subtypes(STEEL_SLAG),
        steps: &[Step {
            grade: "pass",
            limits: &[at_most("immersion_expansion_pct", 2.0)],
        }],
        common: &[],
        excluded: None,
    },
    Rule {
        name: "ggbs",
        title: "Ground granulated blast-furnace slag for cement, mortar and concrete",
        standard: "GB/T 18046-2017",
        methods: &[
            "GB/T 8074 (specific surface)",
            "GB/T 18046-2017 Annex A (activity index)",
            "GB/T 176 (SO3, chloride, LOI)",
            "GB/T 18046-2017 Annex C (glass content)",
        ],
        applies: Applies::Subtypes(&["blast_furnace_slag"]),
        steps: &[
            Step {
                grade: "S105",
                limits: &[
                    at_least_value("specific_surface_m2_kg", 500.0),
                    at_least_value("activity_index_7d_pct", 95.0),
                    at_least_value("activity_index_28d_pct", 105.0),
                ],
            },
            Step {
                grade: "S95",
                limits: &[
                    at_least_value("specific_surface_m2_kg", 400.0),
                    at_least_value("activity_index_7d_pct", 70.0),
                    at_least_value("activity_index_28d_pct", 95.0),
                ],
            },
            Step {
                grade: "S75",
                limits: &[
                    at_least_value("specific_surface_m2_kg", 300.0),
                    at_least_value("activity_index_7d_pct", 55.0),
                    at_least_value("activity_index_28d_pct", 75.0),
                ],
            },
        ],
        common: &[
            at_most("moisture_pct", 1.0),
            at_most("so3_pct", 4.0),
            at_most("chloride_pct", 0.06),
            at_most("loi_pct", 1.0),
            at_least_value("glass_content_pct", 85.0),
        ],
        excluded: None,
    },
    Rule {
        name: "fgd_gypsum",
        title: "FGD gypsum (grades 一级/二级/三级 as I/II/III)",
        standard: "GB/T 37785-2019",
        methods: &["GB/T 37785-2019 (purity, free water)"],
        applies: Applies::Category("SW06"),
        steps: &[
            Step {
                grade: "I",
                limits: &[
                    at_least_value("gypsum_purity_pct", 95.0),
                    at_most("free_water_pct", 10.0),
                ],
            },
            Step {
                grade: "II",
                limits: &[
                    at_least_value("gypsum_purity_pct", 90.0),
                    at_most("free_water_pct", 12.0),
                ],
            },
            Step {
                grade: "III",
                limits: &[
                    at_least_value("gypsum_purity_pct", 85.0),
                    at_most("free_water_pct", 12.0),
                ],
            },
        ],
        common: &[],
        excluded: None,
    },
    Rule {
        name: "radioactivity",
        title: "Radioactivity of main building materials (3.1)",
        standard: "GB 6566-2010",
        methods: &["GB 6566-2010, 4 (gamma spectrometry)"],
        applies: Applies::BuildingMaterial,
        steps: &[Step {
            grade: "pass",
            limits: &[at_most("i_ra", 1.0), at_most("i_gamma", 1.0)],
        }],
        common: &[],
        excluded: None,
    },
    Rule {
        name: "leaching",
        title: "General industrial solid waste class (I or II) by its leachate",
        standard: "GB 18599-2020",
        methods: &[
            "HJ 557 (leaching)",
            "GB/T 15555.12 (leachate pH)",
            "GB 8978 (maximum allowable concentrations compared)",
        ],
        applies: Applies::Every,
        steps: &[
            Step {
                grade: "I",
                limits: &[
                    Limit {
                        key: "leachate_ph",
                        test: Test::Between(6.0, 9.0),
                        when: None,
                    },
                    Limit {
                        key: "leachate_within_gb8978",
                        test: Test::Is("yes"),
                        when: None,
                    },
                ],
            },
            // Class II: stated, but not class I.
            Step {
                grade: "II",
                limits: &[],
            },
        ],
        common: &[],
        excluded: None,
    },
];

/// The rule called `name`.
pub fn rule(name: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.name == name)
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct GradeResult {
    /// A grade of the rule (`I`, `S95`, `pass`…); `fail`; `ungraded` when a value is missing or
    /// the standard does not apply (CFB ash).
    pub grade: String,
    pub standard: &'static str,
    pub rule_set: &'static str,
    /// Properties the grade needs that were not given.
    pub missing: Vec<&'static str>,
}

impl Applies {
    pub fn covers(&self, category: &str, subtype: Option<&str>, building_material: bool) -> bool {
        match self {
            Self::Category(c) => *c == category,
            Self::Subtypes(list) => subtype.is_some_and(|s| list.contains(&s)),
            Self::BuildingMaterial => building_material,
            Self::Every => true,
        }
    }
}

/// Which rules apply to a lot of this category and sub-type.
pub fn rules_for<'a>(
    category: &'a str,
    subtype: Option<&'a str>,
    building_material: bool,
) -> impl Iterator<Item = &'static Rule> + 'a {
    RULES
        .iter()
        .filter(move |r| r.applies.covers(category, subtype, building_material))
}

fn meets(limits: &[Limit], values: &Properties) -> bool {
    limits
        .iter()
        .all(|l| l.binds(values) == Some(false) || l.met(values))
}

fn stated(limit: &Limit, values: &Properties) -> bool {
    match (limit.test, values.get(limit.key)) {
        (Test::Is(_), Some(PropertyValue::Text(_))) => true,
        (Test::Is(_), _) => false,
        (_, value) => value.and_then(PropertyValue::number).is_some(),
    }
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
    let mut needed: Vec<&'static str> = Vec::new();
    for limit in rule
        .steps
        .iter()
        .flat_map(|s| s.limits.iter())
        .chain(rule.common)
    {
        match limit.binds(values) {
            None => needed.push(limit.when.map_or(limit.key, |w| w.0)),
            Some(true) if !stated(limit, values) => needed.push(limit.key),
            _ => {}
        }
    }
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
pub fn at_least(rule_name: &str, wanted: &str) -> Option<Vec<&'static str>> {
    let rule = rule(rule_name)?;
    let position = rule.steps.iter().position(|s| s.grade == wanted)?;
    Some(rule.steps[..=position].iter().map(|s| s.grade).collect())
}

/// A limit as the catalog publishes it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LimitView {
    pub property: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// The value a choice must have.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub equals: Option<&'static str>,
    /// Only for lots whose property has this value, e.g. `{"fly_ash_class": "C"}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<BTreeMap<String, String>>)]
    pub when: Option<BTreeMap<&'static str, &'static str>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StepView {
    pub grade: &'static str,
    pub limits: Vec<LimitView>,
}

/// A grading rule as the catalog publishes it, so a client can explain a grade.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RuleView {
    pub name: &'static str,
    pub title: &'static str,
    pub standard: &'static str,
    pub rule_set: &'static str,
    pub methods: Vec<&'static str>,
    /// `SW02`, a sub-type code, `building_material` or `every_category`.
    pub applies_to: Vec<&'static str>,
    /// Best first; a lot gets the first grade whose limits (and the common ones) it meets.
    pub grades: Vec<StepView>,
    pub common: Vec<LimitView>,
    /// A property value that puts a lot outside the standard (ungraded).
    #[schema(value_type = Option<BTreeMap<String, String>>)]
    pub excluded_when: Option<BTreeMap<&'static str, &'static str>>,
}

impl Limit {
    fn view(&self) -> LimitView {
        let (min, max, equals) = match self.test {
            Test::AtMost(max) => (None, Some(max), None),
            Test::AtLeast(min) => (Some(min), None, None),
            Test::Between(min, max) => (Some(min), Some(max), None),
            Test::Is(value) => (None, None, Some(value)),
        };
        LimitView {
            property: self.key,
            min,
            max,
            equals,
            when: self.when.map(|(k, v)| BTreeMap::from([(k, v)])),
        }
    }
}

impl Rule {
    pub fn view(&self) -> RuleView {
        RuleView {
            name: self.name,
            title: self.title,
            standard: self.standard,
            rule_set: RULE_SET,
            methods: self.methods.to_vec(),
            applies_to: match &self.applies {
                Applies::Category(c) => vec![*c],
                Applies::Subtypes(list) => list.to_vec(),
                Applies::BuildingMaterial => vec!["building_material"],
                Applies::Every => vec!["every_category"],
            },
            grades: self
                .steps
                .iter()
                .map(|s| StepView {
                    grade: s.grade,
                    limits: s.limits.iter().map(Limit::view).collect(),
                })
                .collect(),
            common: self.common.iter().map(Limit::view).collect(),
            excluded_when: self.excluded.map(|(k, v)| BTreeMap::from([(k, v)])),
        }
    }
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

    fn with_text(mut v: Properties, key: &str, text: &str) -> Properties {
        v.insert(key.into(), PropertyValue::Text(text.into()));
        v
    }

    fn named(name: &str) -> &'static Rule {
        rule(name).unwrap()
    }

    /// A class F fly ash with the given concrete-table values, free CaO 0.5 %.
    fn fly_ash(fineness: f64, water: f64, loi: f64, moisture: f64, so3: f64) -> String {
        let v = values(&[
            ("fineness_45um_pct", fineness),
            ("water_demand_ratio_pct", water),
            ("loi_pct", loi),
            ("moisture_pct", moisture),
            ("so3_pct", so3),
            ("free_cao_pct", 0.5),
        ]);
        grade(named("fly_ash"), &with_text(v, "fly_ash_class", "F")).grade
    }

    #[test]
    fn fly_ash_boundaries_gb_t_1596_table_1() {
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

    fn fly_ash_class(class: &str, free_cao: f64, soundness: Option<f64>) -> (String, String) {
        let mut v = values(&[
            ("fineness_45um_pct", 10.0),
            ("water_demand_ratio_pct", 90.0),
            ("loi_pct", 3.0),
            ("moisture_pct", 0.5),
            ("so3_pct", 1.0),
            ("free_cao_pct", free_cao),
        ]);
        if let Some(s) = soundness {
            v.insert("soundness_mm".into(), PropertyValue::Number(s));
        }
        let v = with_text(v, "fly_ash_class", class);
        (
            grade(named("fly_ash"), &v).grade,
            grade(named("fly_ash_cement"), &v).grade,
        )
    }

    #[test]
    fn fly_ash_free_cao_by_class_and_soundness_for_class_c() {
        let both = |g: &str| {
            (
                g.to_string(),
                if g == "fail" { "fail" } else { "pass" }.to_string(),
            )
        };
        // Class F: free CaO ≤ 1.0 %; soundness is not asked.
        assert_eq!(fly_ash_class("F", 1.0, None), both("I"));
        assert_eq!(fly_ash_class("F", 1.01, None), both("fail"));
        // Class C: free CaO ≤ 4.0 % and soundness ≤ 5.0 mm.
        assert_eq!(fly_ash_class("C", 4.0, Some(5.0)), both("I"));
        assert_eq!(fly_ash_class("C", 4.01, Some(5.0)), both("fail"));
        assert_eq!(fly_ash_class("C", 4.0, Some(5.01)), both("fail"));
        let (concrete, _) = fly_ash_class("C", 2.0, None);
        assert_eq!(concrete, "ungraded");
        let r = grade(
            named("fly_ash"),
            &values(&[("fineness_45um_pct", 10.0), ("free_cao_pct", 0.5)]),
        );
        assert_eq!(
            r.missing,
            vec![
                "fly_ash_class",
                "loi_pct",
                "moisture_pct",
                "so3_pct",
                "water_demand_ratio_pct"
            ]
        );
    }

    #[test]
    fn fly_ash_for_cement_gb_t_1596_table_2() {
        let g = |loi, so3| {
            let v = values(&[
                ("loi_pct", loi),
                ("so3_pct", so3),
                ("moisture_pct", 1.0),
                ("free_cao_pct", 1.0),
            ]);
            grade(named("fly_ash_cement"), &with_text(v, "fly_ash_class", "F")).grade
        };
        assert_eq!(g(8.0, 3.5), "pass");
        assert_eq!(g(8.01, 3.5), "fail");
        assert_eq!(g(8.0, 3.51), "fail");
        // SO3 3.2 fails the concrete table (≤ 3.0) but passes the cement table.
        assert_eq!(g(4.0, 3.2), "pass");
        let missing = grade(named("fly_ash_cement"), &values(&[("loi_pct", 4.0)]));
        assert_eq!(missing.grade, "ungraded");
        assert_eq!(
            missing.missing,
            vec!["fly_ash_class", "moisture_pct", "so3_pct"]
        );
    }

    #[test]
    fn fly_ash_ungraded_when_cfb() {
        let v = values(&[
            ("fineness_45um_pct", 10.0),
            ("water_demand_ratio_pct", 90.0),
            ("loi_pct", 3.0),
            ("moisture_pct", 0.5),
            ("so3_pct", 1.0),
            ("free_cao_pct", 0.5),
        ]);
        let v = with_text(v, "fly_ash_class", "F");
        assert_eq!(grade(named("fly_ash"), &v).grade, "I");
        let cfb = with_text(v, "boiler_type", "cfb");
        assert_eq!(grade(named("fly_ash"), &cfb).grade, "ungraded");
        assert_eq!(grade(named("fly_ash_cement"), &cfb).grade, "ungraded");
    }

    #[test]
    fn steel_slag_powder_gb_t_20491() {
        let g = |cao, so3, autoclave| {
            grade(
                named("steel_slag_powder"),
                &values(&[
                    ("free_cao_pct", cao),
                    ("so3_pct", so3),
                    ("autoclave_expansion_pct", autoclave),
                ]),
            )
            .grade
        };
        assert_eq!(g(4.0, 4.0, 0.5), "pass");
        assert_eq!(g(4.01, 4.0, 0.5), "fail");
        assert_eq!(g(4.0, 4.01, 0.5), "fail");
        assert_eq!(g(4.0, 4.0, 0.51), "fail");
        let missing = grade(
            named("steel_slag_powder"),
            &values(&[("free_cao_pct", 1.0)]),
        );
        assert_eq!(missing.grade, "ungraded");
        assert_eq!(missing.missing, vec!["autoclave_expansion_pct", "so3_pct"]);
    }

    #[test]
    fn steel_slag_aggregate_gb_t_25824() {
        let g = |v: Properties| grade(named("steel_slag_aggregate"), &v).grade;
        assert_eq!(g(values(&[("immersion_expansion_pct", 2.0)])), "pass");
        assert_eq!(g(values(&[("immersion_expansion_pct", 2.01)])), "fail");
        assert_eq!(g(values(&[("free_cao_pct", 1.0)])), "ungraded");
    }

    fn ggbs(surface: f64, ai7: f64, ai28: f64, glass: f64) -> String {
        grade(
            named("ggbs"),
            &values(&[
                ("specific_surface_m2_kg", surface),
                ("activity_index_7d_pct", ai7),
                ("activity_index_28d_pct", ai28),
                ("moisture_pct", 0.5),
                ("so3_pct", 2.0),
                ("chloride_pct", 0.02),
                ("loi_pct", 0.5),
                ("glass_content_pct", glass),
            ]),
        )
        .grade
    }

    #[test]
    fn ggbs_gb_t_18046_grades() {
        assert_eq!(ggbs(500.0, 95.0, 105.0, 85.0), "S105");
        assert_eq!(ggbs(499.9, 95.0, 105.0, 85.0), "S95");
        assert_eq!(ggbs(500.0, 94.9, 105.0, 85.0), "S95");
        assert_eq!(ggbs(400.0, 70.0, 95.0, 85.0), "S95");
        assert_eq!(ggbs(400.0, 70.0, 94.9, 85.0), "S75");
        assert_eq!(ggbs(300.0, 55.0, 75.0, 85.0), "S75");
        assert_eq!(ggbs(299.9, 55.0, 75.0, 85.0), "fail");
        assert_eq!(ggbs(500.0, 95.0, 105.0, 84.9), "fail");
        assert_eq!(
            grade(named("ggbs"), &values(&[("specific_surface_m2_kg", 420.0)])).grade,
            "ungraded"
        );
    }

    #[test]
    fn fgd_gypsum_gb_t_37785_grades() {
        let g = |purity, water| {
            grade(
                named("fgd_gypsum"),
                &values(&[("gypsum_purity_pct", purity), ("free_water_pct", water)]),
            )
            .grade
        };
        assert_eq!(g(95.0, 10.0), "I");
        assert_eq!(g(95.0, 10.01), "II");
        assert_eq!(g(94.99, 10.0), "II");
        assert_eq!(g(90.0, 12.0), "II");
        assert_eq!(g(85.0, 12.0), "III");
        assert_eq!(g(84.99, 12.0), "fail");
        assert_eq!(g(85.0, 12.01), "fail");
        let missing = grade(named("fgd_gypsum"), &values(&[("gypsum_purity_pct", 96.0)]));
        assert_eq!(missing.missing, vec!["free_water_pct"]);
    }

    #[test]
    fn radioactivity_gb_6566_boundaries() {
        let g = |ra, gamma| {
            grade(
                named("radioactivity"),
                &values(&[("i_ra", ra), ("i_gamma", gamma)]),
            )
            .grade
        };
        assert_eq!(g(1.0, 1.0), "pass");
        assert_eq!(g(1.01, 1.0), "fail");
        assert_eq!(g(1.0, 1.01), "fail");
        let missing = grade(named("radioactivity"), &values(&[("i_ra", 0.5)]));
        assert_eq!(missing.missing, vec!["i_gamma"]);
    }

    #[test]
    fn leaching_class_gb_18599() {
        let g = |ph, within: &str| {
            grade(
                named("leaching"),
                &with_text(
                    values(&[("leachate_ph", ph)]),
                    "leachate_within_gb8978",
                    within,
                ),
            )
            .grade
        };
        assert_eq!(g(6.0, "yes"), "I");
        assert_eq!(g(9.0, "yes"), "I");
        assert_eq!(g(5.99, "yes"), "II");
        assert_eq!(g(9.01, "yes"), "II");
        assert_eq!(g(7.0, "no"), "II");
        let missing = grade(named("leaching"), &values(&[("leachate_ph", 7.0)]));
        assert_eq!(missing.missing, vec!["leachate_within_gb8978"]);
    }

    #[test]
    fn rules_apply_by_category_and_subtype() {
        let names = |c, s, b| rules_for(c, s, b).map(|r| r.name).collect::<Vec<_>>();
        assert_eq!(
            names("SW02", None, true),
            vec!["fly_ash", "fly_ash_cement", "radioactivity", "leaching"]
        );
        assert_eq!(
            names("SW01", Some("steel_slag_bof"), true),
            vec![
                "steel_slag_powder",
                "steel_slag_aggregate",
                "radioactivity",
                "leaching"
            ]
        );
        assert_eq!(
            names("SW01", Some("blast_furnace_slag"), true),
            vec!["ggbs", "radioactivity", "leaching"]
        );
        assert_eq!(names("SW07", None, false), vec!["leaching"]);
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
        assert_eq!(at_least("ggbs", "S95"), Some(vec!["S105", "S95"]));
        assert_eq!(at_least("radioactivity", "pass"), Some(vec!["pass"]));
        assert_eq!(at_least("fly_ash", "IV"), None);
    }
}
