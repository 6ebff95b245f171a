#!/usr/bin/python3
"""Writes notebooks/quick-train.ipynb (without outputs); notebooks/run.sh executes it in place."""
import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

cells = [
    new_markdown_cell("""# Quick training through the command line

This notebook runs `./submit.sh train conf/quick.json` (a small class-conditional EDM model on 2,000 Fashion-MNIST
images, embedded Spark, under three minutes on two cores), then shows the loss curve and the sample grid it wrote,
and what `./submit.sh info` says about the saved model. Executed by `notebooks/run.sh`."""),
    new_code_cell("""import pathlib
import subprocess

from IPython.display import Image, display

# nbconvert runs the notebook from its own directory; the command line runs from the repository root.
ROOT = pathlib.Path.cwd().parent if pathlib.Path.cwd().name == "notebooks" else pathlib.Path.cwd()
OUT = ROOT / "runs" / "notebook-quick"


def submit(*args):
    \"\"\"Runs ./submit.sh with args from the repository root, prints its output, fails on a non-zero exit.\"\"\"
    done = subprocess.run(["./submit.sh", *args], cwd=ROOT, capture_output=True, text=True)
    print(done.stdout)
    if done.returncode != 0:
        print(done.stderr)
        raise RuntimeError(f"./submit.sh {' '.join(args)} exited with {done.returncode}")"""),
    new_code_cell("""submit("train", "conf/quick.json", "--output", str(OUT), "--overwrite", "true")"""),
    new_markdown_cell("""## Loss curve

Mean training loss per round (log scale) against images seen: it falls fast at first, then slowly."""),
    new_code_cell("""display(Image(filename=str(OUT / "loss.png")))"""),
    new_markdown_cell("""## Samples

One row per class (0 T-shirt/top ... 9 Ankle boot), one seed per column. After only 2,560 training images on a
tiny network the samples are blobs: this run checks the pipeline; `conf/fashion-mnist.json` trains a real model."""),
    new_code_cell("""display(Image(filename=str(OUT / "samples.png"), width=360))"""),
    new_markdown_cell("""## What was saved"""),
    new_code_cell("""submit("info", "--model", str(OUT / "model"))"""),
]
nb = new_notebook(cells=cells, metadata={
    "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
})
nbformat.write(nb, "quick-train.ipynb")
