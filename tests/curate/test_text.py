import numpy as np

from skyray.curate.text import gram_hashes, normalize, row_hashes, tokenize, tokenize_batch


def test_tokens_fold_case_punctuation_and_whitespace():
    assert tokenize("Let $x$ and  $Y$ be\tnon-zero!") == [
        "let",
        "x",
        "and",
        "y",
        "be",
        "non",
        "zero",
    ]
    assert tokenize("") == [] and tokenize(" ,;$ ") == []
    assert tokenize("CAFÉ ﬁne") == ["café", "fine"]  # NFKC + Unicode lower case
    assert normalize("A  b\n\nC.") == "a b c"


def test_row_hashes_equal_exactly_for_equal_token_sequences():
    h = row_hashes(tokenize_batch(["A b", "a  B.", "", None, "b a", "ab", "a b c"]))
    assert h[0] == h[1] and h[2] == h[3]
    assert len({int(h[0]), int(h[2]), int(h[4]), int(h[5]), int(h[6])}) == 5


def test_gram_hashes_do_not_depend_on_the_batch():
    texts = ["one two three four five", "six seven", "eight nine ten eleven twelve thirteen"]
    grams, first, rows = gram_hashes(tokenize_batch(texts), 3)
    assert list(np.bincount(rows, minlength=3)) == [3, 0, 4]  # no n-gram crosses a row
    alone, _, _ = gram_hashes(tokenize_batch(texts[2:]), 3)
    assert np.array_equal(alone, grams[rows == 2])
    same, _, _ = gram_hashes(tokenize_batch(["X: one two three!"]), 3)
    assert same[-1] == grams[0]  # "one two three" wherever it sits
    assert len(set(grams.tolist())) == len(grams)


def test_tokens_point_back_into_the_text():
    tokens = tokenize_batch(["Hello, World", "x = 3"])
    assert tokens.row_tokens(0) == ["hello", "world"]
    assert tokens.row_tokens(1) == ["x", "3"]


def test_python_and_batch_tokenizers_agree(workload):
    texts = [r["question"] + " " + r["response"] for r in workload.rows[:300]]
    texts += ["Ünïcödé — “quotes” ½ x²", "tab\tnew\nline", "ﬁ ligature"]
    batch = tokenize_batch(texts)
    assert [batch.row_tokens(i) for i in range(len(texts))] == [tokenize(t) for t in texts]
