"""Names sort by pinyin, surnames read as surnames."""

from zhibu.core.pinyin import by_pinyin, pinyin_key


def test_names_sort_by_pinyin_not_code_point():
    names = ["张书记", "李党员", "王党员", "艾青", "赵书记", "钱党员"]
    assert sorted(names) != by_pinyin(names, str)  # code point order is not pinyin order
    assert by_pinyin(names, str) == ["艾青", "李党员", "钱党员", "王党员", "张书记", "赵书记"]


def test_surnames_are_read_as_surnames():
    assert pinyin_key("单雄信")[0] == "shan xiong xin"
    assert pinyin_key("曾国藩")[0] == "zeng guo fan"
    names = ["曾国藩", "蔡文", "单田芳", "邵华"]
    assert by_pinyin(names, str) == ["蔡文", "单田芳", "邵华", "曾国藩"]
    assert pinyin_key("") == ("", "")
