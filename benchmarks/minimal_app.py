"""The floor: a minimal typer application with one command, run by the same interpreter."""

import typer

app = typer.Typer()


@app.command()
def hello(name: str = "world"):
    """Say hello."""
    typer.echo(f"hello {name}")


if __name__ == "__main__":
    app()
