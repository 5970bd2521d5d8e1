"""Traditional → simplified forms of the characters people's names are written with.

A person registered as 張偉 in one source and 张伟 in another is one name. The
address engine's table (:data:`ybss.addressing._tables.T2S`) covers place names;
this one adds what names need: the common surnames and given-name characters
whose traditional form differs. It is shipped as code, like the address table,
so that linkage needs no converter such as OpenCC in an offline deployment.

Where two traditional characters share one simplified form (鍾/鐘 → 钟, 艷/豔 → 艳)
both are listed; :data:`SIMPLIFIED_TO_TRADITIONAL` keeps the first, which is
what the synthetic generator writes.
"""

from __future__ import annotations

from ybss.addressing._tables import T2S as _ADDRESS_T2S

# Two aligned strings: TRADITIONAL[i] is written SIMPLIFIED[i] today.
TRADITIONAL = (
    "張偉劉陳楊趙黃吳孫鄭馬許鄧馮韓葉謝蘇盧羅蔣賈陸鍾湯閆龍萬錢嚴顧龔賀譚範鄒蘭閻聶鮑"
    "關齊莊鄔東魯歐陽駱喬衛蕭簡單鄺薑費壽顏婁畢項樂賴龐紀閔習溫農藍連廣華國軍麗靜強濤"
    "鵬飛傑紅艷豔鳳輝慶寧榮雲穎曉興劍達長貴順義寶嬌鋒誠潔愛倫銘勝歡帥雙鳴聰賢濱韻瑩晉"
    "開進運學傳會鐵銀錦師書維綠亞蓮鶯瑤鵑燦煒瑋韋懷憲彥務漢濟澤潤滿瀟纓紹緒綺絲經統約"
    "純縣顯頌頤風颯馳駿騰驍驥鷹鶴鸞龜齡鈞鈺鉅銳鏡鐘鍵錫鎮銓鋼門閃闖陣隨險雖雞難電靂霽"
    "靈頂須領頻願類飄養餘館驊體髮鬆魚鮮鯉鴻麥黨葦蒼蓋蔭薈藝蘊號蟬衆補裝覺親觀訓記詩誼"
    "諾謙謹讓豐貞財賓贊贏趕躍軒輕輪轉辦邊遠選遷遼郵鄉醫釗釧鈴錚鍇鎧鏗鑒閣闊陰隊階際隱"
    "雋雛離靄頎頡頴颺驕鬱鵲齋嵐巖幣幫庫廟廠廳彈徑從復徵憶應戰擁擇敵斕於昇時晝暉曄暢曆"
    "棟楨樺樹橋檢歷歸氣沖決況淚淺渙減測湧滬漁潛澗濃濕瀾灣烏無煥煙燁營燈爐爭爾牆猶獎獻"
    "現璉璣瑣環璽瓊產畫當疊盤眾碩確磚禮禎禪稅穩窮競筆築節簫籃紋絢給絨綸緣練縱繽纖羨聖"
    "聯聲職肅膠臘臨與舉艦萊蕓薔薦蘆"
)
SIMPLIFIED = (
    "张伟刘陈杨赵黄吴孙郑马许邓冯韩叶谢苏卢罗蒋贾陆钟汤闫龙万钱严顾龚贺谭范邹兰阎聂鲍"
    "关齐庄邬东鲁欧阳骆乔卫萧简单邝姜费寿颜娄毕项乐赖庞纪闵习温农蓝连广华国军丽静强涛"
    "鹏飞杰红艳艳凤辉庆宁荣云颖晓兴剑达长贵顺义宝娇锋诚洁爱伦铭胜欢帅双鸣聪贤滨韵莹晋"
    "开进运学传会铁银锦师书维绿亚莲莺瑶鹃灿炜玮韦怀宪彦务汉济泽润满潇缨绍绪绮丝经统约"
    "纯县显颂颐风飒驰骏腾骁骥鹰鹤鸾龟龄钧钰钜锐镜钟键锡镇铨钢门闪闯阵随险虽鸡难电雳霁"
    "灵顶须领频愿类飘养余馆骅体发松鱼鲜鲤鸿麦党苇苍盖荫荟艺蕴号蝉众补装觉亲观训记诗谊"
    "诺谦谨让丰贞财宾赞赢赶跃轩轻轮转办边远选迁辽邮乡医钊钏铃铮锴铠铿鉴阁阔阴队阶际隐"
    "隽雏离霭颀颉颖飏骄郁鹊斋岚岩币帮库庙厂厅弹径从复征忆应战拥择敌斓于升时昼晖晔畅历"
    "栋桢桦树桥检历归气冲决况泪浅涣减测涌沪渔潜涧浓湿澜湾乌无焕烟烨营灯炉争尔墙犹奖献"
    "现琏玑琐环玺琼产画当叠盘众硕确砖礼祯禅税稳穷竞笔筑节箫篮纹绚给绒纶缘练纵缤纤羡圣"
    "联声职肃胶腊临与举舰莱芸蔷荐芦"
)

NAME_T2S: dict[str, str] = dict(zip(TRADITIONAL, SIMPLIFIED, strict=True))
# Name characters first, then the address table for anything else.
T2S: dict[str, str] = {**_ADDRESS_T2S, **NAME_T2S}
TO_SIMPLIFIED: dict[int, str] = {ord(t): s for t, s in T2S.items() if len(t) == 1}

SIMPLIFIED_TO_TRADITIONAL: dict[str, str] = {}
for _t, _s in NAME_T2S.items():
    SIMPLIFIED_TO_TRADITIONAL.setdefault(_s, _t)


def to_simplified(text: str) -> str:
    """``text`` with every traditional character the tables know replaced."""
    return text.translate(TO_SIMPLIFIED)
