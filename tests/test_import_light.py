import subprocess
import sys

HEAVY = ["torch", "vllm", "deepspeed", "transformers", "ray.serve", "sympy", "ray"]


def test_import_skyray_and_cli_parser_stay_light():
    code = (
        "import sys, skyray, skyray.cli, skyray.config, skyray.records, skyray.runs, "
        "skyray.data.benchmarks, skyray.math.grade, skyray.eval.score\n"
        "skyray.cli.build_parser()\n"
        f"heavy = [m for m in {HEAVY!r} if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"heavy modules imported: {out.stdout.strip()}"
