"""The scripts' own tests: `python3 -m unittest discover -s scripts/lib/tests -t scripts/lib` (scripts/check runs them).

test_tutor.py runs the real scripts/lib/tutor.py on the small course in fixture/;
test_reports.py tests how build and test output is read, without building anything;
test_timeline.py the run timelines (timeline.py), on the hand-made traces in timeline/;
test_book_timelines.py the book's timelines (book_timelines.py): the claims a run is held to.
"""
