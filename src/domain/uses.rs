//! Which materials each intended use takes, and the grades it needs of them: the use table. A
//! lot's grade means something only for a use. Offers, deals and matching all ask `check`, so they
//! refuse the same pairs for the same reason (422 `use_not_permitted`, naming the rule).
//! docs/standards/ explains each source.

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::grading::{RULE_SET, at_least};
use crate::domain::offer::IntendedUse;

/// Which lots an entry is about.
#[derive(Debug)]
pub enum Material {
    Category(&'static str),
    Subtypes(&'static [&'static str]),
    Any,
}

/// A grade a use needs: `at_least` that grade of `rule`; on a lined receiving site (a GB 18599
/// class II site), `lined` instead when given.
#[derive(Debug)]
pub struct Need {
    pub rule: &'static str,
    pub at_least: &'static str,
    pub lined: Option<&'static str>,
}

const fn need(rule: &'static str, at_least: &'static str) -> Need {
    Need {
        rule,
        at_least,
        lined: None,
    }
}

#[derive(Debug)]
pub struct Entry {
    /// Names the entry in refusals: `<use>.<name>`.
    pub name: &'static str,
    pub material: Material,
    /// `None`: the use refuses this material.
    pub needs: Option<&'static [Need]>,
    pub source: &'static str,
}

pub struct UseRule {
    pub intended_use: IntendedUse,
    /// Tried in order; the first entry whose material covers the lot decides. No entry: refused.
    pub entries: &'static [Entry],
    /// Needed of every material put to this use.
    pub all: &'static [Need],
    pub all_source: &'static str,
}

const STEEL_SLAG: &[&str] = &["steel_slag_bof", "steel_slag_eaf", "steel_slag_ladle"];
const RADIOACTIVITY: &[Need] = &[need("radioactivity", "pass")];
const GB_6566: &str = "GB 6566-2010: main building materials need I_Ra ≤ 1.0 and I_γ ≤ 1.0";

const fn ok(name: &'static str, material: Material, source: &'static str) -> Entry {
    Entry {
        name,
        material,
        needs: Some(&[]),
        source,
    }
}

pub const USE_RULES: &[UseRule] = &[
    UseRule {
        intended_use: IntendedUse::Cement,
        entries: &[
            Entry {
                name: "steel_slag",
                material: Material::Subtypes(STEEL_SLAG),
                needs: None,
                source: "GB 175-2023 (in force 2024-06-01): steel slag is no longer an allowed \
                         main constituent of common Portland cement",
            },
            ok(
                "blast_furnace_slag",
                Material::Subtypes(&["blast_furnace_slag"]),
                "GB 175-2023: granulated blast-furnace slag (GB/T 203) or GGBS (GB/T 18046)",
            ),
            Entry {
                name: "fly_ash",
                material: Material::Category("SW02"),
                needs: Some(&[need("fly_ash_cement", "pass")]),
                source: "GB 175-2023 with GB/T 1596-2017 Table 2 (fly ash for cement)",
            },
            ok(
                "coal_gangue",
                Material::Category("SW04"),
                "raw meal: coal gangue replaces clay (GB/T 29163 for its use in building materials)",
            ),
            Entry {
                name: "gypsum",
                material: Material::Category("SW06"),
                needs: Some(&[need("fgd_gypsum", "III")]),
                source: "set retarder: FGD gypsum of a GB/T 37785-2019 grade",
            },
            ok(
                "carbide_slag",
                Material::Subtypes(&["carbide_slag"]),
                "raw meal: carbide slag replaces limestone",
            ),
        ],
        all: RADIOACTIVITY,
        all_source: GB_6566,
    },
    UseRule {
        intended_use: IntendedUse::Concrete,
        entries: &[
            Entry {
                name: "steel_slag",
                material: Material::Subtypes(STEEL_SLAG),
                needs: Some(&[need("steel_slag_powder", "pass")]),
                source: "GB/T 20491-2017: steel slag powder for cement and concrete",
            },
            Entry {
                name: "blast_furnace_slag",
                material: Material::Subtypes(&["blast_furnace_slag"]),
                needs: Some(&[need("ggbs", "S75")]),
                source: "GB/T 18046-2017: GGBS S75 or better",
            },
            Entry {
                name: "fly_ash",
                material: Material::Category("SW02"),
                needs: Some(&[need("fly_ash", "III")]),
                source: "GB/T 1596-2017 Table 1: fly ash for concrete, grade III or better",
            },
        ],
        all: RADIOACTIVITY,
        all_source: GB_6566,
    },
    UseRule {
        intended_use: IntendedUse::BricksBlocks,
        entries: &[
            Entry {
                name: "steel_slag",
                material: Material::Subtypes(STEEL_SLAG),
                needs: Some(&[need("steel_slag_aggregate", "pass")]),
                source: "volume stability (GB/T 24175-2009 immersion expansion ≤ 2.0 %)",
            },
            ok(
                "blast_furnace_slag",
                Material::Subtypes(&["blast_furnace_slag"]),
                "slag bricks and blocks",
            ),
            ok(
                "fly_ash",
                Material::Category("SW02"),
                "JC/T 239 fly ash bricks",
            ),
            ok(
                "boiler_slag",
                Material::Category("SW03"),
                "slag bricks and blocks",
            ),
            ok(
                "coal_gangue",
                Material::Category("SW04"),
                "GB/T 29163: gangue bricks",
            ),
            ok("tailings", Material::Category("SW05"), "tailings bricks"),
            ok(
                "gypsum",
                Material::Category("SW06"),
                "gypsum blocks and boards",
            ),
            ok(
                "phosphogypsum",
                Material::Category("SW10"),
                "gypsum blocks and boards",
            ),
            ok(
                "by_product_gypsum",
                Material::Category("SW11"),
                "gypsum blocks and boards",
            ),
            ok(
                "coal_chemical_slag",
                Material::Subtypes(&["gasification_slag", "carbide_slag"]),
                "autoclaved blocks",
            ),
        ],
        all: RADIOACTIVITY,
        all_source: GB_6566,
    },
    UseRule {
        intended_use: IntendedUse::RoadBase,
        entries: &[
            Entry {
                name: "steel_slag",
                material: Material::Subtypes(STEEL_SLAG),
                needs: Some(&[need("steel_slag_aggregate", "pass")]),
                source: "GB/T 25824-2010: steel slag for roads, immersion expansion ≤ 2.0 % \
                         (GB/T 24175-2009)",
            },
            ok(
                "blast_furnace_slag",
                Material::Subtypes(&["blast_furnace_slag"]),
                "JTG/T F20: slag in stabilised bases",
            ),
            ok(
                "fly_ash",
                Material::Category("SW02"),
                "JTG/T F20: lime–fly ash stabilised bases",
            ),
            ok(
                "boiler_slag",
                Material::Category("SW03"),
                "JTG/T F20: stabilised bases",
            ),
            ok("coal_gangue", Material::Category("SW04"), "subgrade fill"),
            ok(
                "tailings",
                Material::Category("SW05"),
                "subgrade fill and base aggregate",
            ),
        ],
        all: &[],
        all_source: "",
    },
    UseRule {
        intended_use: IntendedUse::BackfillRestoration,
        entries: &[
            Entry {
                name: "steel_slag",
                material: Material::Subtypes(STEEL_SLAG),
                needs: Some(&[need("steel_slag_aggregate", "pass")]),
                source: "volume stability (GB/T 24175-2009 immersion expansion ≤ 2.0 %)",
            },
            Entry {
                name: "sludge",
                material: Material::Category("SW07"),
                needs: None,
                source: "sludge is not a fill material for pits and restoration",
            },
            ok(
                "general",
                Material::Any,
                "GB 18599-2020: general industrial solid waste",
            ),
        ],
        all: &[Need {
            rule: "leaching",
            at_least: "I",
            lined: Some("II"),
        }],
        all_source: "GB 18599-2020: backfill of sand and mine pits and ecological restoration \
                     take class I waste; class II only on a lined site",
    },
    UseRule {
        intended_use: IntendedUse::MineralRecovery,
        entries: &[
            ok(
                "smelting_slag",
                Material::Category("SW01"),
                "metal recovery from slag",
            ),
            ok(
                "fly_ash",
                Material::Category("SW02"),
                "alumina from high-alumina fly ash",
            ),
            ok(
                "coal_gangue",
                Material::Category("SW04"),
                "alumina and carbon recovery",
            ),
            ok(
                "tailings",
                Material::Category("SW05"),
                "re-processing of tailings",
            ),
            ok(
                "red_mud",
                Material::Category("SW09"),
                "iron and alumina recovery",
            ),
        ],
        all: &[],
        all_source: "",
    },
    UseRule {
        intended_use: IntendedUse::ResearchTrial,
        entries: &[ok(
            "any",
            Material::Any,
            "trial quantities for research projects",
        )],
        all: &[],
        all_source: "",
    },
    UseRule {
        intended_use: IntendedUse::Other,
        entries: &[ok(
            "any",
            Material::Any,
            "any other lawful use; earns no CO2 credit",
        )],
        all: &[],
        all_source: "",
    },
];

/// Why a use does not take a lot.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    /// `<use>.<entry>` or `<use>.<grading rule>`, e.g. `cement.steel_slag`.
    pub rule: String,
    pub source: &'static str,
    pub message: String,
}

fn use_rule(intended_use: IntendedUse) -> &'static UseRule {
    USE_RULES
        .iter()
        .find(|u| u.intended_use == intended_use)
        .expect("every intended use has a row in the use table")
}

impl Material {
    fn covers(&self, category: &str, subtype: Option<&str>) -> bool {
        match self {
            Self::Category(c) => *c == category,
            Self::Subtypes(list) => subtype.is_some_and(|s| list.contains(&s)),
            Self::Any => true,
        }
    }
}

/// The entry that decides about this material, or why the use refuses it outright (no grades
/// looked at: a demand is checked this way before any lot exists).
pub fn entry(
    intended_use: IntendedUse,
    category: &str,
    subtype: Option<&str>,
) -> Result<&'static Entry, Refusal> {
    let use_name = intended_use.as_str();
    let what = subtype.map_or(category.to_string(), |s| format!("{category}/{s}"));
    match use_rule(intended_use)
        .entries
        .iter()
        .find(|e| e.material.covers(category, subtype))
    {
        Some(e) if e.needs.is_some() => Ok(e),
        Some(e) => Err(Refusal {
            rule: format!("{use_name}.{}", e.name),
            source: e.source,
            message: format!("{what} may not be used for {use_name}: {}.", e.source),
        }),
        None => Err(Refusal {
            rule: format!("{use_name}.material"),
            source: "wufei use table",
            message: format!(
                "{what} is not a material the use {use_name} takes{}.",
                if subtype.is_none() {
                    " (or name the sub-type)"
                } else {
                    ""
                }
            ),
        }),
    }
}

/// The grading rules the use may look at (to load only those grades when matching).
pub fn rules_needed(intended_use: IntendedUse) -> Vec<&'static str> {
    let rule = use_rule(intended_use);
    let mut names: Vec<&'static str> = rule
        .entries
        .iter()
        .flat_map(|e| e.needs.unwrap_or_default())
        .chain(rule.all)
        .map(|n| n.rule)
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}

/// Whether a lot with these grades may be put to the use; `lined`: the receiving site is lined.
pub fn check(
    intended_use: IntendedUse,
    category: &str,
    subtype: Option<&str>,
    grades: &BTreeMap<String, String>,
    lined: bool,
) -> Result<(), Refusal> {
    let entry = entry(intended_use, category, subtype)?;
    let rule = use_rule(intended_use);
    let needs = entry
        .needs
        .unwrap_or_default()
        .iter()
        .map(|n| (n, entry.source))
        .chain(rule.all.iter().map(|n| (n, rule.all_source)));
    for (need, source) in needs {
        let wanted = if lined {
            need.lined.unwrap_or(need.at_least)
        } else {
            need.at_least
        };
        let accepted = at_least(need.rule, wanted).unwrap_or_default();
        let got = grades.get(need.rule).map_or("ungraded", String::as_str);
        if !accepted.contains(&got) {
            return Err(Refusal {
                rule: format!("{}.{}", intended_use.as_str(), need.rule),
                source,
                message: format!(
                    "{} for {} needs {} {wanted}{}; the lot is {got}: {source}.",
                    category,
                    intended_use.as_str(),
                    need.rule,
                    if accepted.len() > 1 { " or better" } else { "" },
                ),
            });
        }
    }
    Ok(())
}

/// A need as the catalog publishes it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NeedView {
    pub rule: &'static str,
    /// That grade or better.
    pub at_least: &'static str,
    /// What suffices when the receiving site is lined (GB 18599 class II site).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_lined_site: Option<&'static str>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EntryView {
    pub name: &'static str,
    /// A category code, sub-type codes, or `any`.
    pub materials: Vec<&'static str>,
    /// The use refuses these materials.
    pub refused: bool,
    pub needs: Vec<NeedView>,
    pub source: &'static str,
}

/// One intended use as the catalog publishes it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UseView {
    pub intended_use: IntendedUse,
    pub rule_set: &'static str,
    /// Tried in order; the first entry whose materials cover a lot decides; no entry: refused.
    pub entries: Vec<EntryView>,
    /// Needed of every material put to this use.
    pub all: Vec<NeedView>,
    pub all_source: &'static str,
}

impl Need {
    fn view(&self) -> NeedView {
        NeedView {
            rule: self.rule,
            at_least: self.at_least,
            on_lined_site: self.lined,
        }
    }
}

impl UseRule {
    pub fn view(&self) -> UseView {
        UseView {
            intended_use: self.intended_use,
            rule_set: RULE_SET,
            entries: self
                .entries
                .iter()
                .map(|e| EntryView {
                    name: e.name,
                    materials: match &e.material {
                        Material::Category(c) => vec![*c],
                        Material::Subtypes(list) => list.to_vec(),
                        Material::Any => vec!["any"],
                    },
                    refused: e.needs.is_none(),
                    needs: e.needs.unwrap_or_default().iter().map(Need::view).collect(),
                    source: e.source,
                })
                .collect(),
            all: self.all.iter().map(Need::view).collect(),
            all_source: self.all_source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grades(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn rule_of(r: Result<(), Refusal>) -> String {
        r.map_or_else(|e| e.rule, |()| "ok".into())
    }

    #[test]
    fn every_use_has_a_row() {
        for u in IntendedUse::ALL {
            assert_eq!(use_rule(*u).intended_use, *u);
        }
    }

    #[test]
    fn steel_slag_is_refused_for_cement_by_gb_175_2023() {
        let pass = grades(&[("radioactivity", "pass"), ("steel_slag_powder", "pass")]);
        let r = check(
            IntendedUse::Cement,
            "SW01",
            Some("steel_slag_bof"),
            &pass,
            false,
        )
        .unwrap_err();
        assert_eq!(r.rule, "cement.steel_slag");
        assert!(r.source.starts_with("GB 175-2023"));
        // The same slag with a GB/T 20491 pass may go into concrete.
        assert_eq!(
            rule_of(check(
                IntendedUse::Concrete,
                "SW01",
                Some("steel_slag_bof"),
                &pass,
                false
            )),
            "ok"
        );
    }

    #[test]
    fn building_uses_need_a_radioactivity_pass() {
        let g = |r: &str| {
            grades(&[
                ("fly_ash", "II"),
                ("fly_ash_cement", "pass"),
                ("radioactivity", r),
            ])
        };
        for u in [
            IntendedUse::Cement,
            IntendedUse::Concrete,
            IntendedUse::BricksBlocks,
        ] {
            assert_eq!(rule_of(check(u, "SW02", None, &g("pass"), false)), "ok");
            let failed = format!("{}.radioactivity", u.as_str());
            assert_eq!(rule_of(check(u, "SW02", None, &g("fail"), false)), failed);
            assert_eq!(
                rule_of(check(u, "SW02", None, &g("ungraded"), false)),
                failed
            );
        }
        // Road bases are not main building materials.
        assert_eq!(
            rule_of(check(
                IntendedUse::RoadBase,
                "SW02",
                None,
                &g("fail"),
                false
            )),
            "ok"
        );
    }

    #[test]
    fn grades_at_the_boundary_of_a_use() {
        let fly = |grade: &str| grades(&[("fly_ash", grade), ("radioactivity", "pass")]);
        assert_eq!(
            rule_of(check(
                IntendedUse::Concrete,
                "SW02",
                None,
                &fly("III"),
                false
            )),
            "ok"
        );
        assert_eq!(
            rule_of(check(
                IntendedUse::Concrete,
                "SW02",
                None,
                &fly("fail"),
                false
            )),
            "concrete.fly_ash"
        );
        let ggbs = |grade: &str| grades(&[("ggbs", grade), ("radioactivity", "pass")]);
        let slag = Some("blast_furnace_slag");
        assert_eq!(
            rule_of(check(
                IntendedUse::Concrete,
                "SW01",
                slag,
                &ggbs("S75"),
                false
            )),
            "ok"
        );
        assert_eq!(
            rule_of(check(
                IntendedUse::Concrete,
                "SW01",
                slag,
                &ggbs("fail"),
                false
            )),
            "concrete.ggbs"
        );
    }

    #[test]
    fn restoration_takes_class_one_and_class_two_only_on_a_lined_site() {
        let g = |class: &str| grades(&[("leaching", class)]);
        let u = IntendedUse::BackfillRestoration;
        assert_eq!(rule_of(check(u, "SW04", None, &g("I"), false)), "ok");
        assert_eq!(
            rule_of(check(u, "SW04", None, &g("II"), false)),
            "backfill_restoration.leaching"
        );
        assert_eq!(rule_of(check(u, "SW04", None, &g("II"), true)), "ok");
        assert_eq!(
            rule_of(check(u, "SW04", None, &g("ungraded"), true)),
            "backfill_restoration.leaching"
        );
        assert_eq!(
            rule_of(check(u, "SW07", None, &g("I"), false)),
            "backfill_restoration.sludge"
        );
    }

    #[test]
    fn materials_a_use_does_not_list_are_refused() {
        assert_eq!(
            entry(IntendedUse::Cement, "SW07", None).unwrap_err().rule,
            "cement.material"
        );
        // Smelting slag without a sub-type cannot be told apart from steel slag.
        assert!(entry(IntendedUse::Cement, "SW01", None).is_err());
        assert!(entry(IntendedUse::ResearchTrial, "SW07", None).is_ok());
    }

    #[test]
    fn every_need_names_a_grade_of_a_rule() {
        for u in USE_RULES {
            let needs = u
                .entries
                .iter()
                .flat_map(|e| e.needs.unwrap_or_default())
                .chain(u.all);
            for n in needs {
                assert!(at_least(n.rule, n.at_least).is_some(), "{}", n.rule);
                assert!(n.lined.is_none_or(|l| at_least(n.rule, l).is_some()));
            }
        }
    }
}
