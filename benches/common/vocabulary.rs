//! Lot titles and descriptions from the trade's own words, in Chinese and English, with the
//! skewed frequencies of a real market: a few words everywhere (粉煤灰, "fly ash"), a long tail of
//! sub-types, places and uses, and words that only a handful of lots carry (电解锰渣, cenosphere).

use rand::Rng;
use rand::rngs::StdRng;

/// Ten prefecture-level cities of the Zero-Waste programme: region code, centre, districts.
pub const CITIES: &[(&str, &str, f64, f64, &[&str])] = &[
    (
        "1502",
        "包头",
        40.65,
        109.84,
        &[
            "150202", "150203", "150204", "150205", "150206", "150207", "150221", "150222",
            "150223",
        ],
    ),
    (
        "1501",
        "呼和浩特",
        40.84,
        111.75,
        &["150102", "150103", "150104", "150105", "150121"],
    ),
    (
        "1506",
        "鄂尔多斯",
        39.61,
        109.78,
        &["150602", "150603", "150621", "150622", "150627"],
    ),
    (
        "1503",
        "乌海",
        39.66,
        106.79,
        &["150302", "150303", "150304"],
    ),
    (
        "1504",
        "赤峰",
        42.26,
        118.89,
        &["150402", "150403", "150404", "150421"],
    ),
    (
        "1302",
        "唐山",
        39.63,
        118.18,
        &["130202", "130203", "130204", "130205", "130207"],
    ),
    (
        "1304",
        "邯郸",
        36.63,
        114.54,
        &["130402", "130403", "130404", "130406"],
    ),
    (
        "1401",
        "太原",
        37.87,
        112.55,
        &["140105", "140106", "140107", "140108"],
    ),
    (
        "1402",
        "大同",
        40.08,
        113.30,
        &["140213", "140214", "140215", "140221"],
    ),
    (
        "5104",
        "攀枝花",
        26.58,
        101.72,
        &["510402", "510403", "510411", "510421"],
    ),
];

/// Material names by category, commonest first (Zipf-weighted when drawn).
const MATERIALS: &[(&str, &[&str])] = &[
    (
        "SW01",
        &[
            "钢渣",
            "转炉钢渣",
            "steel slag",
            "热闷渣",
            "钢渣微粉",
            "BOF slag",
            "高炉矿渣",
            "水淬渣",
            "GGBS",
            "电炉钢渣",
            "EAF slag",
            "磁选尾渣",
            "滚筒渣",
            "钒钛矿渣",
        ],
    ),
    (
        "SW02",
        &[
            "粉煤灰",
            "fly ash",
            "二级粉煤灰",
            "干排灰",
            "一级粉煤灰",
            "class F fly ash",
            "湿排灰",
            "炉底渣",
            "bottom ash",
            "循环流化床灰",
            "脱硫灰",
            "漂珠",
        ],
    ),
    (
        "SW04",
        &[
            "煤矸石",
            "coal gangue",
            "洗矸",
            "矸石",
            "自燃煤矸石",
            "煤泥",
            "burnt gangue",
            "高岭土质矸石",
        ],
    ),
    (
        "SW06",
        &[
            "脱硫石膏",
            "FGD gypsum",
            "工业副产石膏",
            "磷石膏",
            "phosphogypsum",
            "二水石膏",
            "氟石膏",
            "柠檬酸石膏",
            "titanogypsum",
        ],
    ),
];

/// Words of the trade a lot's text may carry, commonest first.
const TERMS: &[&str] = &[
    "长期供应",
    "现货",
    "stable supply",
    "量大",
    "检测报告齐全",
    "可送货",
    "pickup",
    "自提",
    "堆场",
    "含水率低",
    "low moisture",
    "适用于水泥掺合料",
    "cement",
    "混凝土掺合料",
    "concrete",
    "路基材料",
    "road base",
    "安定性合格",
    "放射性合格",
    "烧失量低",
    "细度达标",
    "制砖",
    "bricks",
    "充填",
    "backfill",
    "生态修复",
    "reclamation",
    "价格面议",
    "negotiable",
    "年产",
    "annual output",
    "铁路专用线",
    "rail siding",
    "汽运",
    "by truck",
    "袋装",
    "bagged",
    "散装",
    "bulk",
    "陈化",
    "aged",
    "新鲜",
    "fresh",
    "破碎筛分",
    "crushed and screened",
    "粒径0-5mm",
    "0-5 mm",
    "磨细",
    "ground",
    "比表面积",
    "blaine",
    "活性指数",
    "activity index",
    "游离氧化钙",
    "free lime",
    "磁选",
    "magnetic separation",
    "陶粒",
    "ceramsite",
    "加气砌块",
    "aerated blocks",
    "微晶玻璃",
    "glass-ceramics",
    "矿山充填",
    "mine filling",
    "土壤调理剂",
    "soil conditioner",
    "稀土尾矿",
    "rare-earth tailings",
    "氯离子",
    "chloride",
    "重金属浸出合格",
    "leaching tested",
];

/// Words only one lot in 5 000 carries, each in turn.
pub const RARE: &[&str] = &[
    "电解锰渣",
    "cenosphere",
    "赤泥",
    "red mud",
    "钛石膏",
    "vanadium",
];

/// Index `0..n`, rank `r` with weight 1 / (r + 1): a Zipf draw.
fn zipf(rng: &mut StdRng, n: usize) -> usize {
    let h: f64 = (1..=n).map(|r| 1.0 / r as f64).sum();
    let mut x = rng.random::<f64>() * h;
    for r in 0..n {
        x -= 1.0 / (r + 1) as f64;
        if x <= 0.0 {
            return r;
        }
    }
    n - 1
}

/// A lot's title and description for `category` in a city (`CITIES` index) and its district.
pub fn text(
    rng: &mut StdRng,
    category: &str,
    city: usize,
    district: &str,
    n: usize,
) -> (String, String) {
    let names = MATERIALS
        .iter()
        .find(|(c, _)| *c == category)
        .map_or(&["industrial by-product"][..], |(_, m)| m);
    let material = names[zipf(rng, names.len())];
    let terms: Vec<&str> = (0..rng.random_range(3..8))
        .map(|_| TERMS[zipf(rng, TERMS.len())])
        .collect();
    let (_, city_name, ..) = CITIES[city];
    let title = if rng.random_bool(0.7) {
        format!("{city_name} {material} {}", terms[0])
    } else {
        format!("{material}, {} (district {district})", terms[0])
    };
    // One lot in 5 000 (200 in a million), in turn.
    let rare = if n % 5000 == 137 {
        RARE[(n / 5000) % RARE.len()]
    } else {
        ""
    };
    let description = format!(
        "{}。{material}{rare}，{} t/月，编号 WF{n:07}",
        terms[1..].join("，"),
        rng.random_range(100..20_000)
    );
    (title, description)
}
