"""Fixed reference lists the simulated companies are made of: Chinese surnames and given names (with
pinyin for e-mail addresses), cities and their sales regions, company name parts, sales reps, e-mail
domains, and the product catalog (about 200 SKUs in 8 categories).

Nothing here is random on its own: the catalog is built from the seeded random generator passed in,
so the same seed always gives the same products and prices.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

# Common surnames, most frequent first (the order drives a Zipf-like frequency), with pinyin.
SURNAMES: tuple[tuple[str, str], ...] = (
    ("王", "wang"), ("李", "li"), ("张", "zhang"), ("刘", "liu"), ("陈", "chen"), ("杨", "yang"),
    ("黄", "huang"), ("赵", "zhao"), ("吴", "wu"), ("周", "zhou"), ("徐", "xu"), ("孙", "sun"),
    ("马", "ma"), ("朱", "zhu"), ("胡", "hu"), ("郭", "guo"), ("何", "he"), ("高", "gao"),
    ("林", "lin"), ("罗", "luo"), ("郑", "zheng"), ("梁", "liang"), ("谢", "xie"), ("宋", "song"),
    ("唐", "tang"), ("许", "xu"), ("韩", "han"), ("冯", "feng"), ("邓", "deng"), ("曹", "cao"),
    ("彭", "peng"), ("曾", "zeng"), ("肖", "xiao"), ("田", "tian"), ("董", "dong"), ("袁", "yuan"),
    ("潘", "pan"), ("于", "yu"), ("蒋", "jiang"), ("蔡", "cai"), ("余", "yu"), ("杜", "du"),
    ("叶", "ye"), ("程", "cheng"), ("苏", "su"), ("魏", "wei"), ("吕", "lv"), ("丁", "ding"),
    ("任", "ren"), ("沈", "shen"), ("姚", "yao"), ("卢", "lu"), ("姜", "jiang"), ("崔", "cui"),
    ("钟", "zhong"), ("谭", "tan"), ("陆", "lu"), ("汪", "wang"), ("范", "fan"), ("金", "jin"),
    ("石", "shi"), ("廖", "liao"), ("贾", "jia"), ("夏", "xia"), ("韦", "wei"), ("付", "fu"),
    ("方", "fang"), ("白", "bai"), ("邹", "zou"), ("孟", "meng"), ("熊", "xiong"), ("秦", "qin"),
    ("邱", "qiu"), ("江", "jiang"), ("尹", "yin"), ("薛", "xue"), ("闫", "yan"), ("段", "duan"),
    ("雷", "lei"), ("侯", "hou"), ("龙", "long"), ("史", "shi"), ("陶", "tao"), ("黎", "li"),
    ("贺", "he"), ("顾", "gu"), ("毛", "mao"), ("郝", "hao"), ("龚", "gong"), ("邵", "shao"),
    ("万", "wan"), ("钱", "qian"), ("严", "yan"), ("武", "wu"), ("戴", "dai"), ("莫", "mo"),
    ("孔", "kong"), ("向", "xiang"), ("汤", "tang"), ("欧阳", "ouyang"),
)

# Characters used in given names (one or two of them), with pinyin.
GIVEN_CHARS: tuple[tuple[str, str], ...] = (
    ("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"),
    ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("洋", "yang"), ("勇", "yong"), ("艳", "yan"),
    ("杰", "jie"), ("娟", "juan"), ("涛", "tao"), ("明", "ming"), ("超", "chao"), ("秀", "xiu"),
    ("霞", "xia"), ("平", "ping"), ("刚", "gang"), ("桂", "gui"), ("英", "ying"), ("华", "hua"),
    ("玉", "yu"), ("文", "wen"), ("建", "jian"), ("国", "guo"), ("海", "hai"), ("红", "hong"),
    ("鹏", "peng"), ("飞", "fei"), ("辉", "hui"), ("婷", "ting"), ("雪", "xue"), ("晓", "xiao"),
    ("琳", "lin"), ("宇", "yu"), ("浩", "hao"), ("博", "bo"), ("晨", "chen"), ("欣", "xin"),
    ("佳", "jia"), ("子", "zi"), ("梓", "zi"), ("涵", "han"), ("轩", "xuan"), ("怡", "yi"),
    ("思", "si"), ("雨", "yu"), ("泽", "ze"), ("昊", "hao"), ("俊", "jun"), ("凯", "kai"),
    ("志", "zhi"), ("嘉", "jia"), ("慧", "hui"), ("颖", "ying"), ("丹", "dan"), ("倩", "qian"),
    ("斌", "bin"), ("鑫", "xin"), ("波", "bo"), ("宁", "ning"), ("峰", "feng"), ("亮", "liang"),
    ("成", "cheng"), ("春", "chun"), ("东", "dong"), ("云", "yun"), ("玲", "ling"), ("萍", "ping"),
    ("燕", "yan"), ("蕾", "lei"), ("彤", "tong"), ("瑶", "yao"), ("悦", "yue"), ("阳", "yang"),
    ("航", "hang"), ("晶", "jing"), ("琪", "qi"), ("楠", "nan"), ("帆", "fan"), ("鸣", "ming"),
)

# Cities (where the companies are registered), their sales region and a weight for how many
# customers come from there.
CITIES: tuple[tuple[str, str, float], ...] = (
    ("上海", "华东", 9.0), ("杭州", "华东", 6.0), ("南京", "华东", 4.0), ("苏州", "华东", 5.0),
    ("宁波", "华东", 3.0), ("合肥", "华东", 2.5), ("济南", "华东", 2.0), ("青岛", "华东", 2.5),
    ("福州", "华东", 2.0), ("厦门", "华东", 2.0), ("无锡", "华东", 2.5), ("温州", "华东", 2.0),
    ("北京", "华北", 8.0), ("天津", "华北", 3.0), ("石家庄", "华北", 1.5), ("太原", "华北", 1.0),
    ("呼和浩特", "华北", 0.6), ("唐山", "华北", 0.8),
    ("广州", "华南", 6.0), ("深圳", "华南", 7.0), ("东莞", "华南", 3.0), ("佛山", "华南", 2.5),
    ("南宁", "华南", 1.0), ("海口", "华南", 0.6), ("珠海", "华南", 1.0),
    ("武汉", "华中", 3.5), ("长沙", "华中", 2.5), ("郑州", "华中", 2.5), ("南昌", "华中", 1.5),
    ("洛阳", "华中", 0.8),
    ("成都", "西南", 4.0), ("重庆", "西南", 3.5), ("昆明", "西南", 1.5), ("贵阳", "西南", 1.0),
    ("西安", "西北", 2.5), ("兰州", "西北", 0.8), ("乌鲁木齐", "西北", 0.7), ("银川", "西北", 0.5),
    ("沈阳", "东北", 1.8), ("大连", "东北", 1.8), ("哈尔滨", "东北", 1.5), ("长春", "东北", 1.2),
)

# Brand names are made of two characters: one from each list (for example 瑞 + 达 = 瑞达).
BRAND_FIRST: tuple[tuple[str, str], ...] = (
    ("瑞", "rui"), ("华", "hua"), ("恒", "heng"), ("天", "tian"), ("鼎", "ding"), ("博", "bo"),
    ("宏", "hong"), ("金", "jin"), ("盛", "sheng"), ("新", "xin"), ("嘉", "jia"), ("中", "zhong"),
    ("永", "yong"), ("汇", "hui"), ("正", "zheng"), ("信", "xin"), ("安", "an"), ("德", "de"),
    ("泰", "tai"), ("万", "wan"), ("联", "lian"), ("创", "chuang"), ("卓", "zhuo"), ("智", "zhi"),
    ("星", "xing"), ("海", "hai"), ("云", "yun"), ("银", "yin"), ("明", "ming"), ("东", "dong"),
    ("康", "kang"), ("远", "yuan"), ("润", "run"), ("丰", "feng"), ("鸿", "hong"), ("诚", "cheng"),
    ("优", "you"), ("领", "ling"), ("和", "he"), ("益", "yi"), ("广", "guang"), ("达", "da"),
)
BRAND_SECOND: tuple[tuple[str, str], ...] = (
    ("达", "da"), ("信", "xin"), ("通", "tong"), ("成", "cheng"), ("盛", "sheng"), ("远", "yuan"),
    ("图", "tu"), ("桥", "qiao"), ("锐", "rui"), ("禾", "he"), ("和", "he"), ("安", "an"),
    ("丰", "feng"), ("泰", "tai"), ("源", "yuan"), ("科", "ke"), ("腾", "teng"), ("航", "hang"),
    ("宇", "yu"), ("辰", "chen"), ("峰", "feng"), ("聚", "ju"), ("合", "he"), ("晟", "sheng"),
    ("川", "chuan"), ("邦", "bang"), ("凯", "kai"), ("华", "hua"), ("业", "ye"),
    ("基", "ji"), ("力", "li"), ("美", "mei"), ("祥", "xiang"), ("荣", "rong"),
    ("瑞", "rui"), ("耀", "yao"), ("驰", "chi"), ("维", "wei"), ("顺", "shun"), ("兴", "xing"),
)

# What the company does, by industry (the middle part of 杭州瑞达[科技]有限公司).
TRADE_WORDS: dict[str, tuple[str, ...]] = {
    "制造业": ("机械制造", "精密机械", "实业", "电子", "新材料"),
    "零售": ("商贸", "百货", "贸易", "电子商务"),
    "互联网": ("网络科技", "信息技术", "科技", "软件"),
    "金融": ("投资管理", "金融服务", "融资租赁"),
    "医疗": ("医疗器械", "医药", "生物科技", "健康管理"),
    "教育": ("教育科技", "文化传播", "培训"),
    "物流": ("物流", "供应链管理", "货运代理"),
    "餐饮": ("餐饮管理", "食品", "餐饮服务"),
}

# Sales reps (CRM owners), with a weight for how many accounts each one owns.
SALES_REPS: tuple[tuple[str, float], ...] = (
    ("张磊", 1.4), ("王芳", 1.3), ("李强", 1.2), ("刘洋", 1.2), ("陈静", 1.1), ("杨帆", 1.1),
    ("赵敏", 1.0), ("黄涛", 1.0), ("周婷", 1.0), ("吴俊", 1.0), ("徐丽", 0.9), ("孙鹏", 0.9),
    ("马超", 0.9), ("朱琳", 0.8), ("胡浩", 0.8), ("郭佳", 0.8), ("何欣", 0.7), ("高峰", 0.7),
    ("林晓", 0.6), ("罗宁", 0.5),
)

# Public mail providers for personal addresses (qq.com addresses get a numeric QQ number).
PERSONAL_DOMAINS: tuple[str, ...] = (
    "163.com", "126.com", "sina.com", "foxmail.com", "gmail.com", "outlook.com", "139.com", "aliyun.com",
)
PERSONAL_DOMAIN_WEIGHTS: tuple[float, ...] = (0.30, 0.15, 0.08, 0.12, 0.10, 0.10, 0.08, 0.07)
COMPANY_DOMAIN_SUFFIXES: tuple[str, ...] = ("-tech.com", ".com.cn", ".cn", "group.com", ".com")


# ---------------------------------------------------------------------------------------------
# Product catalog
# ---------------------------------------------------------------------------------------------

# Category, SKU prefix, median list price (CNY), popularity weight, product nouns.
CATEGORIES: tuple[tuple[str, str, float, float, tuple[str, ...]], ...] = (
    ("办公用品", "BG", 28.0, 0.22, ("中性笔", "文件夹", "笔记本", "订书机", "便利贴", "A4复印纸", "计算器",
                                  "档案盒", "白板笔", "收纳盒")),
    ("电脑配件", "DN", 180.0, 0.14, ("无线鼠标", "机械键盘", "显示器支架", "U盘", "移动硬盘", "扩展坞",
                                  "网线", "耳机", "摄像头", "路由器")),
    ("打印耗材", "DY", 260.0, 0.12, ("硒鼓", "墨盒", "碳粉", "色带", "标签纸", "热敏纸", "打印纸", "感光鼓",
                                  "喷墨墨水", "传真纸")),
    ("清洁用品", "QJ", 45.0, 0.11, ("抽纸", "洗手液", "垃圾袋", "消毒液", "拖把", "清洁剂", "湿巾", "卷纸",
                                  "洗洁精", "抹布")),
    ("劳保用品", "LB", 60.0, 0.10, ("劳保手套", "安全帽", "防护口罩", "工作服", "安全鞋", "护目镜", "反光背心",
                                  "耳塞", "急救箱", "雨衣")),
    ("茶水饮料", "CS", 85.0, 0.13, ("绿茶", "咖啡豆", "矿泉水", "速溶咖啡", "红茶", "纸杯", "茶包", "果汁",
                                  "牛奶", "坚果礼盒")),
    ("包装材料", "BZ", 38.0, 0.10, ("纸箱", "胶带", "气泡膜", "缠绕膜", "打包带", "快递袋", "珍珠棉", "封箱器",
                                  "标签贴", "牛皮纸")),
    ("办公家具", "JJ", 1200.0, 0.08, ("办公椅", "办公桌", "文件柜", "会议桌", "沙发", "书架", "屏风工位",
                                   "茶几", "保险柜", "储物柜")),
)
PRODUCT_BRANDS: tuple[str, ...] = ("得力", "晨光", "齐心", "联想", "罗技", "惠普", "维达", "3M", "雀巢", "立白",
                                   "心相印", "农夫山泉", "顺丰", "震旦", "欧菲")
PRODUCT_SPECS: tuple[str, ...] = ("标准款", "加厚款", "大号", "小号", "经济装", "10只装", "商务款", "升级版",
                                  "套装", "箱装")
SKUS_PER_CATEGORY = 25


@dataclass(frozen=True)
class Catalog:
    """The product catalog: one row per SKU, ordered by category then popularity.

    ``popularity`` sums to 1 within each category (Zipf-like: a few best sellers, a long tail);
    ``category_weights`` says how often each category is bought overall.
    """

    sku: np.ndarray  # str
    product_name: np.ndarray  # str
    category_index: np.ndarray  # int, index into ``category_names``
    list_price_cents: np.ndarray  # int64
    popularity: np.ndarray  # float, sums to 1 within a category
    category_names: tuple[str, ...]
    category_weights: np.ndarray  # float, sums to 1
    category_offsets: np.ndarray  # int, first SKU row of each category (+ one past the end)

    def sample_skus(self, rng: np.random.Generator, category: np.ndarray) -> np.ndarray:
        """For each requested category, pick a SKU of that category by popularity (vectorised)."""
        within = np.concatenate(
            [np.cumsum(self.popularity[a:b]) for a, b in zip(self.category_offsets[:-1],
                                                             self.category_offsets[1:], strict=True)]
        )
        within = np.minimum(within, 1.0)
        # Category c's cumulative popularity lives in [c, c + 1): one search for every category at once.
        keyed = self.category_index.astype(np.float64) + within
        keyed[self.category_offsets[1:] - 1] = np.arange(len(self.category_names)) + 1.0 - 1e-12
        target = category.astype(np.float64) + rng.random(category.shape[0]) * (1.0 - 1e-9)
        return np.searchsorted(keyed, target, side="right").astype(np.int32)

    def frame(self) -> pl.DataFrame:
        """The catalog as a table (for inspection and tests)."""
        return pl.DataFrame(
            {
                "sku": self.sku,
                "product_name": self.product_name,
                "category": np.asarray(self.category_names)[self.category_index],
                "list_price_cents": self.list_price_cents,
                "popularity": self.popularity,
            }
        )


def build_catalog(rng: np.random.Generator) -> Catalog:
    """Build the ~200-SKU catalog: names from brand + product + spec, lognormal list prices around the
    category's median, Zipf-like popularity within each category."""
    skus: list[str] = []
    names: list[str] = []
    cat_index: list[int] = []
    prices: list[int] = []
    popularity: list[float] = []
    offsets = [0]
    # A loop over 8 categories x 25 SKUs: the catalog is tiny, this is not per-customer work.
    for c, (_, prefix, median, _, nouns) in enumerate(CATEGORIES):
        noun_idx = rng.permutation(np.resize(np.arange(len(nouns)), SKUS_PER_CATEGORY))
        brand_idx = rng.integers(0, len(PRODUCT_BRANDS), SKUS_PER_CATEGORY)
        spec_idx = rng.integers(0, len(PRODUCT_SPECS), SKUS_PER_CATEGORY)
        raw = np.exp(np.log(median) + 0.55 * rng.standard_normal(SKUS_PER_CATEGORY))
        seen: set[str] = set()
        for k in range(SKUS_PER_CATEGORY):
            name = f"{PRODUCT_BRANDS[brand_idx[k]]}{nouns[noun_idx[k]]} {PRODUCT_SPECS[spec_idx[k]]}"
            if name in seen:
                name = f"{name} {k + 1}号"
            seen.add(name)
            names.append(name)
            skus.append(f"{prefix}{1001 + k:04d}")
            cat_index.append(c)
            # Prices end in .00 or .90 like real price lists.
            yuan = max(1.0, float(np.round(raw[k])))
            prices.append(int(yuan * 100) - (10 if rng.random() < 0.4 else 0))
        weights = 1.0 / np.arange(1, SKUS_PER_CATEGORY + 1) ** 1.1
        popularity.extend((weights / weights.sum()).tolist())
        offsets.append(offsets[-1] + SKUS_PER_CATEGORY)
    cat_weights = np.array([c[3] for c in CATEGORIES], dtype=np.float64)
    return Catalog(
        sku=np.array(skus, dtype=object),
        product_name=np.array(names, dtype=object),
        category_index=np.array(cat_index, dtype=np.int32),
        list_price_cents=np.array(prices, dtype=np.int64),
        popularity=np.array(popularity, dtype=np.float64),
        category_names=tuple(c[0] for c in CATEGORIES),
        category_weights=cat_weights / cat_weights.sum(),
        category_offsets=np.array(offsets, dtype=np.int64),
    )
