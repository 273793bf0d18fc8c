from osmckp_env.grading.extract import find_boxed, is_skip, last_boxed


class TestFindBoxed:
    def test_nested_braces(self):
        assert last_boxed(r"so \boxed{\frac{1}{2}} done") == r"\frac{1}{2}"

    def test_fbox_and_spacing(self):
        assert last_boxed(r"\fbox {42}") == "42"

    def test_last_wins(self):
        assert last_boxed(r"\boxed{1} then \boxed{2}") == "2"

    def test_unclosed_box_ignored_but_earlier_kept(self):
        assert last_boxed(r"\boxed{7} and then \boxed{\frac{3}{") == "7"

    def test_unclosed_then_complete(self):
        assert [b[2] for b in find_boxed(r"\boxed{ oops \boxed{5}")] == ["5"]

    def test_escaped_braces(self):
        assert last_boxed(r"\boxed{\{1,2\}}") == r"\{1,2\}"

    def test_none(self):
        assert last_boxed("no answer here") is None
        assert last_boxed("") is None

    def test_thousands_of_boxes_linear(self):
        text = r"\boxed{1}" * 5000
        assert len(find_boxed(text)) == 5000


def test_is_skip_variants():
    for s in ["NA", "na", " N/A ", r"\text{NA}", r"\text{ NA }"]:
        assert is_skip(s), s
    for s in ["0", "NaN", None, "A"]:
        assert not is_skip(s), s
