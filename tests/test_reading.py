"""Reading files: formats, encodings, and bad input reported with its name and reason."""

import json

from archive.intake import read_paths
from conftest import write_jsonl

ARABIC = "كوريا الشمالية ترسل جنودا إلى كورسك"


def test_txt_title_is_first_non_empty_line_and_id_is_the_stem(tmp_path):
    (tmp_path / "story-1.txt").write_text("\n\n  العنوان هنا  \nالنص الأول.\n", "utf-8")
    (article,) = read_paths([tmp_path]).articles
    assert (article.id, article.title) == ("story-1", "العنوان هنا")
    assert "النص الأول." in article.text


def test_encodings_utf8_bom_utf16_and_windows_1256(tmp_path):
    (tmp_path / "bom.txt").write_bytes("\ufeff".encode("utf-8") + ARABIC.encode("utf-8"))
    (tmp_path / "cp.txt").write_bytes(ARABIC.encode("cp1256"))
    (tmp_path / "u16.txt").write_bytes(ARABIC.encode("utf-16"))
    result = read_paths([tmp_path])
    assert not result.errors
    assert sorted(a.id for a in result.articles) == ["bom", "cp", "u16"]
    assert {a.title for a in result.articles} == {ARABIC}


def test_jsonl_records_with_metadata_and_a_broken_line(tmp_path):
    path = tmp_path / "feed.jsonl"
    path.write_text(
        json.dumps({"id": "a", "title": "عنوان", "text": ARABIC, "date": "2024-10-19",
                    "source": "aljazeera.net", "url": "https://x"}, ensure_ascii=False) + "\n"
        + "{not json\n"
        + json.dumps({"title": "بلا معرف", "text": ARABIC}, ensure_ascii=False) + "\n"
        + json.dumps({"id": "c", "text": "سطر أول\nنص"}, ensure_ascii=False) + "\n",
        "utf-8")
    result = read_paths([path])
    assert [a.id for a in result.articles] == ["a", "c"]
    first = result.articles[0]
    assert (first.date, first.source, first.url) == ("2024-10-19", "aljazeera.net", "https://x")
    assert result.articles[1].title == "سطر أول"  # no title: the first line stands in
    assert [(e.line, e.reason.split(":")[0]) for e in result.errors] == [
        (2, "invalid JSON"), (3, "record has no 'id'")]
    assert all(e.path == str(path) for e in result.errors)


def test_json_array(tmp_path):
    path = tmp_path / "all.json"
    path.write_text(json.dumps([{"id": "x", "text": ARABIC}, {"id": "y", "text": ARABIC}],
                               ensure_ascii=False), "utf-8")
    assert [a.id for a in read_paths([path]).articles] == ["x", "y"]


def test_bad_files_are_reported_and_the_rest_is_read(tmp_path):
    (tmp_path / "good.txt").write_text(ARABIC, "utf-8")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02PK\x03\x04" * 20)
    (tmp_path / "empty.txt").write_text("  \n\u00a0\n", "utf-8")
    (tmp_path / "notes.md").write_text("ignored in folders", "utf-8")
    result = read_paths([tmp_path, tmp_path / "missing.txt", tmp_path / "notes.md"])
    assert [a.id for a in result.articles] == ["good"]
    reasons = {e.path.rsplit("/", 1)[-1]: e.reason for e in result.errors}
    assert set(reasons) == {"binary.txt", "empty.txt", "missing.txt", "notes.md"}
    assert "binary" in reasons["binary.txt"]
    assert "empty" in reasons["empty.txt"]
    assert "no such file" in reasons["missing.txt"]
    assert "unsupported file type" in reasons["notes.md"]


def test_folders_are_searched_recursively_without_hidden_files(tmp_path):
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "deep.txt").write_text(ARABIC, "utf-8")
    (tmp_path / ".cache").mkdir()
    (tmp_path / ".cache" / "hidden.txt").write_text(ARABIC, "utf-8")
    write_jsonl(tmp_path / "a" / "feed.jsonl", [{"id": "j", "text": ARABIC}])
    assert sorted(a.id for a in read_paths([tmp_path]).articles) == ["deep", "j"]


def test_jsonl_is_read_line_by_line_so_one_bad_line_costs_only_itself(tmp_path):
    """JSON Lines stream (a corpus of any size reads in constant memory): each line is decoded
    on its own, so a Windows-1256 line among UTF-8 ones is read, and undecodable or binary
    content is reported with its line; a file binary from its first line is one error."""
    record = lambda i: json.dumps({"id": f"r{i}", "text": ARABIC}, ensure_ascii=False)  # noqa: E731
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + record(1).encode("utf-8") + b"\n"
                     + record(2).encode("cp1256") + b"\n"
                     + b"\x81\x8d\x8f\x90\x9d\x9e\xff\n"
                     + record(4).encode("utf-8") + b"\n")
    result = read_paths([path])
    assert [a.id for a in result.articles] == ["r1", "r2", "r4"]
    assert {a.title for a in result.articles} == {ARABIC}
    assert [e.line for e in result.errors] == [3]

    binary = tmp_path / "binary.jsonl"
    binary.write_bytes(record(5).encode("utf-8") + b"\n\x00\x01\x02\x03\n" + record(6).encode("utf-8"))
    result = read_paths([binary])  # a NUL byte after the first line costs that line only
    assert [a.id for a in result.articles] == ["r5", "r6"]
    assert [(e.path, e.line) for e in result.errors] == [(str(binary), 2)]
    assert "NUL" in result.errors[0].reason

    binary.write_bytes(b"\x00\x01\x02\x03\n" + record(7).encode("utf-8"))  # binary from the start
    result = read_paths([binary])
    assert result.articles == []
    assert "binary" in result.errors[0].reason and result.errors[0].path == str(binary)
