"""The README's commands and snippets run as they stand."""

import os
import re
import subprocess
import sys
from pathlib import Path

README = (Path(__file__).parents[1] / "README.md").read_text()


def test_first_command_runs_twice(tmp_path):
    """The main job on the sample archive, twice in a row (the install step is this environment's)."""
    first_line = re.search(r"```bash\n(.*?)\n", README).group(1)
    install, *steps = first_line.split(" && ")
    assert install == "pip install -e ."
    command = " && ".join(steps).replace("/tmp/l2l-", f"{tmp_path}/l2l-")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    for _ in range(2):
        result = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=600, env=env)
        assert result.returncode == 0, result.stderr
        assert "microscopy/train: 741 rows of 39 images" in result.stdout
    assert sorted(path.name for path in tmp_path.iterdir()) == ["l2l-archive", "l2l-package"]


def test_training_snippet_batches_with_a_dataloader(package, tmp_path):
    (snippet,) = [code for code in re.findall(r"```python\n(.*?)```", README, re.DOTALL) if "DataLoader" in code]
    code = snippet.replace('"/tmp/l2l-package"', repr(str(package)))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("torch.Size([32, 256, 256]) torch.int32 tensor([")
