"""The `smartvideo` command. Errors a user can fix are one clear line, never a traceback."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from smartvideo.errors import SceneError, SmartVideoError, ValidationFailed

# Modules in smartvideo.commands that add their own sub-commands (see smartvideo/commands/__init__.py).
COMMAND_MODULES: list[str] = ["web", "agents", "campaign", "report", "check_data", "db", "decide", "schema", "ingest"]

DEMO_STORY = "first_bill"
DEMO_CUSTOMER = "C1001"


class _ProgressLine:
    """One self-updating status line on stderr when it is a terminal; plain lines otherwise."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.last = ""

    def __call__(self, stage: str, done: float) -> None:
        text = f"{stage:<9} {done * 100:5.1f}%"
        if self.tty:
            sys.stderr.write("\r" + text)
            sys.stderr.flush()
        elif stage != self.last:
            print(f"  {stage}...", file=sys.stderr)
        self.last = stage

    def finish(self) -> None:
        if self.tty:
            sys.stderr.write("\r" + " " * 20 + "\r")


def _renderer(args: argparse.Namespace):  # noqa: ANN202
    from smartvideo.render.renderer import Renderer
    from smartvideo.settings import RenderSettings

    return Renderer(RenderSettings.from_env(root=args.root, cache_dir=args.cache))


def _render(args: argparse.Namespace, story: str, customer: str, out: Path) -> int:
    from smartvideo.render.renderer import RenderRequest

    click = {"location": args.location} if getattr(args, "location", None) else {}
    progress = _ProgressLine()
    started = time.perf_counter()
    renderer = _renderer(args)
    result = renderer.render(
        RenderRequest(story=story, customer=customer, output=out.resolve(), device=args.device,
                      variant=args.variant, data_file=Path(args.data) if args.data else None, click=click),
        progress,
    )
    progress.finish()
    plan = result.plan
    print(f"rendered {plan.story_id} for {customer} ({plan.device.name}, variant {plan.variant}): "
          f"{plan.duration:.1f} s, {len(plan.scenes)} scenes ({result.segments_reused} from cache) "
          f"in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    print(result.video)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    return _render(args, DEMO_STORY, DEMO_CUSTOMER, Path(args.out))


def cmd_render(args: argparse.Namespace) -> int:
    return _render(args, args.story, args.customer, Path(args.out))


def _root_of(path: Path) -> Path:
    for folder in [path, *path.parents] if path.is_dir() else path.parents:
        if (folder / "scenes").is_dir() or (folder / "voices").is_dir():
            return folder
    raise SmartVideoError(f"{path} is not inside a SmartVideo content folder (one holding scenes/, "
                          "scenes/stories/, scenes/themes/ and voices/); pass a file or folder inside one")


def _content_root(args: argparse.Namespace) -> Path:
    """The content root, saying so on stderr when the bundled content stands in for this folder."""
    from smartvideo.settings import bundled_content_root, find_content_root

    root = find_content_root(args.root)
    if root == bundled_content_root() and not args.root and Path.cwd().resolve() != root:
        print(f"note: {Path.cwd()} is not a content folder (it has no scenes/stories/), so the bundled "
              f"content in {root} is used; run from your content folder or pass --root FOLDER", file=sys.stderr)
    return root


def cmd_validate(args: argparse.Namespace) -> int:
    from smartvideo.render.validation import validate_root

    targets = [Path(p).resolve() for p in args.paths] or [_content_root(args)]
    errors: list[SceneError] = []
    checked: dict[Path, list[SceneError]] = {}
    for target in targets:
        if not target.exists():
            raise SmartVideoError(f"no such file or folder: {target}")
        root = _root_of(target)
        if root not in checked:
            checked[root] = validate_root(root)
        found = checked[root]
        if target.is_file():
            found = [e for e in found if e.file and Path(e.file).resolve() == target]
        errors.extend(e for e in found if e not in errors)
    if args.data:
        errors.extend(_data_problems(args, next(iter(checked))))
    for error in errors:
        print(_relative(error), file=sys.stdout)
    if errors:
        print(f"{len(errors)} problem{'s' if len(errors) != 1 else ''} found", file=sys.stderr)
        return 1
    print(f"ok: {', '.join(str(t) for t in targets)}", file=sys.stderr)
    return 0


def _data_problems(args: argparse.Namespace, root: Path) -> list[SceneError]:
    """`validate --data FILE`: every record of the file against the stories that use it."""
    from smartvideo.render.scene_loader import collect_library
    from smartvideo.render.validation import check_data_file

    lib, errors = collect_library(root)
    if errors:
        return []  # the files' own mistakes are reported already; records are checked once they are fixed
    return check_data_file(lib, Path(args.data).resolve(), args.story)


def _relative(error: SceneError) -> str:
    if error.file:
        try:
            name = str(Path(error.file).resolve().relative_to(Path.cwd()))
        except ValueError:
            name = error.file
        return SceneError(error.message, name, error.line).location_message()
    return error.location_message()


def cmd_preview(args: argparse.Namespace) -> int:
    if not args.root:
        args.root = str(_content_root(args))
    if args.watch:
        from smartvideo.commands.preview_watch import watch_and_redraw

        watch_and_redraw(Path(args.root), lambda: _write_preview(args), Path(args.out))
        return 0
    print(_write_preview(args))
    return 0


def _write_preview(args: argparse.Namespace) -> Path:
    from smartvideo.render.preview import write_preview
    from smartvideo.render.renderer import RenderRequest

    renderer = _renderer(args)
    story = renderer.library.story(args.story)
    customer = args.customer or (story.sample.customer if story.sample else None)
    if not customer:
        raise SmartVideoError(f"story '{args.story}' has no sample customer; pass --customer")
    click = {"location": args.location} if args.location else {}
    plan = renderer.plan(RenderRequest(story=args.story, customer=customer, output=Path(args.out),
                                       device=args.device, variant=args.variant,
                                       data_file=Path(args.data) if args.data else None, click=click))
    return write_preview(plan, Path(args.out), args.scene, args.at)


def cmd_bench(args: argparse.Namespace) -> int:
    from smartvideo.bench import run_benchmarks

    run_benchmarks(args)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="smartvideo", description="Personalized video, rendered on click.")
    parser.add_argument("--root", help="content folder (scenes/, voices/, assets/); default: here or bundled")
    parser.add_argument("--cache", help="cache folder for voice lines and scene segments")
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    sub = parser.add_subparsers(dest="command", required=True)

    def video_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--device", default="landscape", help="landscape | portrait | square | lite")
        p.add_argument("--variant", help="force an A/B variant (default: picked per customer)")
        p.add_argument("--data", help="customer data file (JSON, CSV or YAML)")
        p.add_argument("--location", help="click location 'lat,lon' for stories that use it")

    demo = sub.add_parser("demo", help="render the demo story for a sample customer")
    demo.add_argument("--out", default="smartvideo-demo.mp4", help="output MP4 (default: %(default)s)")
    video_options(demo)
    demo.set_defaults(variant="A")  # the full story, with the bill breakdown
    demo.set_defaults(func=cmd_demo)

    render = sub.add_parser("render", help="render one video")
    render.add_argument("--story", required=True)
    render.add_argument("--customer", required=True)
    render.add_argument("--out", required=True)
    video_options(render)
    render.set_defaults(func=cmd_render)

    preview = sub.add_parser("preview", help="a PNG of every scene (or one) in seconds, without encoding")
    preview.add_argument("--story", required=True)
    preview.add_argument("--customer", help="default: the story's sample customer")
    preview.add_argument("--scene", help="one scene only")
    preview.add_argument("--at", type=float, help="seconds into the scene (default: once all layers show)")
    preview.add_argument("--out", default="preview.png")
    preview.add_argument("--watch", action="store_true",
                         help="redraw whenever a file in the content folder changes (Ctrl-C to stop)")
    video_options(preview)
    preview.set_defaults(func=cmd_preview)

    validate = sub.add_parser("validate", help="check scenes, stories, voices and templates")
    validate.add_argument("paths", nargs="*", help="files or content folders (default: the content root)")
    validate.add_argument("--data", help="also check every record of this data file (JSON, CSV or YAML)")
    validate.add_argument("--story", help="with --data: the story to check the records against "
                          "(default: the stories whose data or sample is that file)")
    validate.set_defaults(func=cmd_validate)

    bench = sub.add_parser("bench", help="run the benchmarks; prints JSON lines")
    bench.add_argument("--runs", type=int, default=5, help="runs per figure (median reported)")
    bench.add_argument("--customers", type=int, default=5000, help="customers in the campaign benchmark")
    bench.add_argument("--only", help="comma-separated figure groups (default: all): render, moviepy, click, "
                       "analytics, authoring, check_data, browser, decide, campaign")
    bench.set_defaults(func=cmd_bench)

    import importlib

    for name in COMMAND_MODULES:
        importlib.import_module(f"smartvideo.commands.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        return func(args)
    except ValidationFailed as exc:
        for error in exc.errors:
            print(_relative(error), file=sys.stderr)
        print("fix these, then run `smartvideo validate`", file=sys.stderr)
        return 1
    except SmartVideoError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
