import subprocess
import sys

from streamlit.testing.v1 import AppTest

from tests.conftest import REPO


def test_the_app_opens_on_an_offline_sample_with_its_chart():
    app = AppTest.from_file(str(REPO / "app.py"), default_timeout=60).run()
    assert not app.exception
    assert app.sidebar.selectbox[0].value == "msft"
    charts = app.get("plotly_chart")
    assert len(charts) == 1
    assert "Microsoft" in charts[0].proto.spec
    assert app.metric[0].value.replace(",", "").isdigit()


def test_every_sample_can_be_picked():
    app = AppTest.from_file(str(REPO / "app.py"), default_timeout=60).run()
    for name in app.sidebar.selectbox[0].options:
        app.sidebar.selectbox[0].select_index(app.sidebar.selectbox[0].options.index(name)).run()
        assert not app.exception
        assert not app.error
        assert len(app.get("plotly_chart")) == 1


def test_the_first_page_renders_without_tensorflow():
    script = (
        "import sys;"
        "from streamlit.testing.v1 import AppTest;"
        f"app = AppTest.from_file({str(REPO / 'app.py')!r}, default_timeout=60).run();"
        "assert not app.exception, app.exception;"
        "heavy = sorted(m for m in ('tensorflow', 'keras') if m in sys.modules);"
        "print(heavy); sys.exit(1 if heavy else 0)"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
