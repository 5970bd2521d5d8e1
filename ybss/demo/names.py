"""Tables for synthetic people: surnames, given names by era, foreign names, phone prefixes.

Surname weights are rounded shares (per mille) of the 2020 census ranking, a little
flattened in the tail so that rarer names still turn up in a small demo. Given names
follow the fashions of the decade someone was born in: 建国 and 秀英 for the old,
伟 and 丽 for the middle-aged, 子轩 and 欣怡 for children.
"""

from __future__ import annotations

from typing import NamedTuple

SURNAMES: list[tuple[str, float]] = [
    ("王", 71), ("李", 70), ("张", 67), ("刘", 54), ("陈", 45), ("杨", 31), ("赵", 23), ("黄", 18),
    ("周", 19), ("吴", 16), ("徐", 15), ("孙", 15), ("马", 14), ("胡", 13), ("朱", 13), ("郭", 12),
    ("何", 10), ("罗", 8), ("高", 11), ("林", 7), ("郑", 9), ("梁", 9), ("谢", 7), ("宋", 8),
    ("唐", 7), ("许", 7), ("韩", 8), ("邓", 6), ("冯", 7), ("曹", 7), ("彭", 5), ("曾", 4),
    ("肖", 5), ("田", 7), ("董", 6), ("潘", 4), ("袁", 5), ("蔡", 4), ("蒋", 4), ("余", 4),
    ("于", 6), ("杜", 5), ("叶", 3), ("程", 5), ("魏", 5), ("苏", 4), ("吕", 5), ("丁", 4),
    ("任", 5), ("卢", 4), ("姚", 4), ("沈", 3), ("钟", 3), ("姜", 5), ("崔", 5), ("谭", 3),
    ("陆", 3), ("范", 4), ("汪", 3), ("廖", 2), ("石", 4), ("金", 3), ("韦", 2), ("贾", 5),
    ("夏", 3), ("付", 4), ("方", 3), ("邹", 2), ("熊", 2), ("白", 4), ("孟", 4), ("秦", 3),
    ("邱", 2), ("侯", 4), ("江", 2), ("尹", 3), ("薛", 4), ("闫", 4), ("段", 3), ("雷", 3),
    ("龙", 2), ("黎", 1), ("史", 4), ("陶", 2), ("贺", 3), ("毛", 2), ("郝", 4), ("顾", 2),
    ("龚", 2), ("邵", 2), ("万", 2), ("覃", 1), ("武", 4), ("钱", 2), ("戴", 2), ("严", 2),
    ("莫", 1), ("孔", 2), ("向", 1), ("常", 3), ("汤", 2), ("康", 2), ("易", 1), ("乔", 3),
    ("赖", 1), ("文", 2), ("施", 1), ("洪", 1), ("辛", 2), ("柴", 2), ("牛", 3), ("樊", 2),
    ("葛", 2), ("邢", 3), ("安", 2), ("齐", 2), ("庞", 2), ("耿", 2), ("靳", 2), ("霍", 2),
    ("岳", 2), ("申", 2), ("翟", 2), ("焦", 2), ("聂", 1), ("殷", 1), ("鲁", 1), ("关", 2),
    ("苗", 2), ("尚", 1), ("温", 2), ("郎", 1), ("甄", 1), ("栗", 1), ("欧阳", 0.5), ("司马", 0.1),
    ("诸葛", 0.1), ("上官", 0.1),
]  # fmt: skip


def _words(text: str) -> list[str]:
    return text.split()


# Whole given names typical of a birth cohort, by gender ("1" male, "2" female).
WHOLE_NAMES: dict[tuple[str, str], list[str]] = {
    (
        "old",
        "1",
    ): _words("""建国 国庆 建华 建军 志强 国强 卫东 福贵 长林 德胜 振华 文明 永祥 宝山 树林 金山 玉林
        广才 继承 解放 跃进 保国"""),
    ("old", "2"): _words("""秀英 桂英 秀兰 玉兰 桂兰 淑珍 凤英 玉珍 秀珍 玉梅 素芳 淑华 桂芝 秀云 凤兰 桂珍
        玉芬 淑英 秀荣 翠花"""),
    ("mid", "1"): _words("""海涛 志刚 建伟 晓东 鹏飞 立军 红军 永刚 志勇 海军 文博 俊峰 晓明 建平 国华 宏伟
        志明 海波 振宇 军"""),
    ("mid", "2"): _words("""丽娟 艳华 晓燕 海燕 红梅 丽萍 春梅 秀娟 晓丽 丽华 丽红 雪梅 艳红 美玲 玉霞 彩霞
        春燕 海霞 小红 静"""),
    ("young", "1"): _words("""浩然 子轩 宇轩 梓豪 俊杰 一鸣 浩宇 博文 皓轩 宇航 子墨 明轩 梓睿 俊熙 奕辰 嘉豪
        天佑 睿泽 沐阳 锦程"""),
    ("young", "2"): _words("""欣怡 梓涵 诗涵 子涵 雨桐 可馨 一诺 依诺 语嫣 梓萱 若汐 思彤 雨萱 佳怡 欣妍 诗琪
        紫萱 雨欣 梦瑶 婉清"""),
}

# Characters to compose given names from, by cohort and gender.
NAME_CHARS: dict[tuple[str, str], str] = {
    ("old", "1"): "福贵德明华国建军文武志庆林山海春生荣发顺祥忠义勇刚宝成永广",
    ("old", "2"): "秀英兰珍芳桂玉凤淑华梅荣琴芝云霞素翠彩花香莲月娥",
    ("mid", "1"): "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宁亮峰东海兵志国成龙建新永立红",
    ("mid", "2"): "芳娜敏静丽艳娟霞秀玲燕婷雪琳晶颖倩洁慧红梅萍丹莉英春华",
    ("young", "1"): "浩宇轩泽睿子然昊天一嘉俊皓铭诚博晨辰逸航宸瑞凯熙煜奕阳泽阳乐鑫",
    ("young", "2"): "欣怡悦梦涵雨萱琪思诗可馨彤妍婧蕾薇月佳语晴若汐瑶婉依雅沫",
}

# Schools by the age a child starts there.
SCHOOLS: list[tuple[int, list[str]]] = [
    (3, ["涿鹿县幼儿园", "涿鹿县第二幼儿园"]),
    (6, ["涿鹿县实验小学", "涿鹿县第二小学", "涿鹿县鼓楼小学"]),
    (12, ["涿鹿县第二中学", "涿鹿县第三中学"]),
    (15, ["涿鹿中学", "涿鹿县第一中学", "涿鹿县职业技术教育中心"]),
]
EMPLOYERS = [
    "务农",
    "个体经营",
    "涿鹿县人民医院",
    "涿鹿县中医院",
    "涿鹿县自来水公司",
    "涿鹿县供电公司",
    "涿鹿县农村信用合作联社",
    "涿鹿县交通运输局",
    "张家口某建筑工程有限公司",
    "涿鹿县某葡萄酒有限公司",
    "涿鹿县某杏扁加工厂",
    "涿鹿县某物流有限公司",
    "涿鹿县某汽车修理厂",
    "涿鹿县某超市",
    "无业",
    "退休",
]
MIGRANT_EMPLOYERS = [
    "涿鹿县某建筑工程有限公司",
    "涿鹿县某物流有限公司",
    "涿鹿县某餐饮店",
    "个体经营（小吃店）",
    "个体经营（五金店）",
    "涿鹿县某矿业有限公司",
    "涿鹿县某电子厂",
    "外卖配送",
    "快递配送",
    "装修工程",
]

# Provinces migrants to 涿鹿 come from, with weights: the neighbours first.
MIGRANT_PROVINCES: list[tuple[str, float]] = [
    ("14", 22),  # 山西
    ("15", 18),  # 内蒙古
    ("41", 14),  # 河南
    ("37", 9),  # 山东
    ("23", 6),  # 黑龙江
    ("22", 4),  # 吉林
    ("21", 5),  # 辽宁
    ("34", 5),  # 安徽
    ("51", 5),  # 四川
    ("62", 4),  # 甘肃
    ("42", 3),  # 湖北
    ("43", 3),  # 湖南
    ("61", 4),  # 陕西
    ("32", 2),  # 江苏
    ("36", 2),  # 江西
    ("45", 1),  # 广西
    ("53", 1),  # 云南
]

# Mobile prefixes in use (China Mobile, Unicom, Telecom, Broadnet), weights roughly by subscribers.
MOBILE_PREFIXES: list[tuple[str, float]] = [
    *((p, 6.0) for p in ("134", "135", "136", "137", "138", "139", "150", "151", "152", "157", "158", "159")),
    *((p, 5.0) for p in ("182", "183", "184", "187", "188", "147", "178", "198", "195")),
    *((p, 5.0) for p in ("130", "131", "132", "155", "156", "185", "186", "166", "175", "176")),
    *((p, 5.0) for p in ("133", "153", "180", "181", "189", "177", "173", "199", "191")),
    ("192", 1.0),
]


class Foreign(NamedTuple):
    passport: str  # the number's pattern: "A" a capital letter, "9" a digit
    surnames: list[str]
    male: list[str]
    female: list[str]


# Foreigners, as their names are written in the passport (surname first).
FOREIGN: dict[str, Foreign] = {
    "KOR": Foreign(
        "A99999999",
        ["KIM", "LEE", "PARK", "CHOI", "JUNG", "KANG", "CHO", "YOON", "JANG", "LIM"],
        ["MINJUN", "SEOJUN", "DOYUN", "JIHO", "HYUNWOO", "JOONHO", "SUNGMIN", "DONGHYUN"],
        ["SEOYEON", "JIWOO", "SOYEON", "MINJI", "HAEUN", "JIYEON", "YUNA", "EUNJI"],
    ),
    "RUS": Foreign(
        "999999999",
        ["IVANOV", "SMIRNOV", "KUZNETSOV", "POPOV", "VASILYEV", "PETROV", "SOKOLOV", "VOLKOV"],
        ["ALEXANDER", "DMITRY", "SERGEI", "ANDREI", "ALEXEI", "MAXIM", "IVAN", "NIKOLAI"],
        ["ANASTASIA", "MARIA", "ELENA", "OLGA", "TATIANA", "NATALIA", "IRINA", "EKATERINA"],
    ),
    "USA": Foreign(
        "999999999",
        ["SMITH", "JOHNSON", "WILLIAMS", "BROWN", "JONES", "MILLER", "DAVIS", "WILSON"],
        ["JAMES", "JOHN", "ROBERT", "MICHAEL", "DAVID", "WILLIAM", "DANIEL", "THOMAS"],
        ["MARY", "JENNIFER", "LINDA", "SARAH", "JESSICA", "EMILY", "ELIZABETH", "LAURA"],
    ),
    "MNG": Foreign(
        "A9999999",
        ["BAT", "GANBOLD", "ERDENE", "BOLD", "DORJ", "TSERENDORJ"],
        ["BATBAYAR", "GANZORIG", "TEMUULEN", "MUNKHERDENE", "ENKHBAYAR"],
        ["OYUNCHIMEG", "SARANTUYA", "ANUJIN", "NOMIN", "ENKHJARGAL"],
    ),
    "JPN": Foreign(
        "AA9999999",
        ["SATO", "SUZUKI", "TAKAHASHI", "TANAKA", "WATANABE", "ITO", "YAMAMOTO"],
        ["HIROSHI", "TAKESHI", "KENJI", "HARUTO", "SOTA", "YUTO"],
        ["YUI", "HINA", "YUKO", "AOI", "SAKURA", "MIKU"],
    ),
}
FOREIGN_WEIGHTS: list[tuple[str, float]] = [("KOR", 4), ("RUS", 3), ("USA", 1), ("MNG", 3), ("JPN", 1)]
