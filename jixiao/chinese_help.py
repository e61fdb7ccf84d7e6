"""Chinese for click's and typer's own words: ``--help``, usage lines and command-line errors carry no English.

click and typer look up every message they print through a module-level
``_`` (gettext). :func:`install` points those at :data:`MESSAGES`, shows
required arguments in the usage line by name (``章节 案例文件``, not
``{章节} {案例文件}``), names argument types in Chinese (``<文本>``), and sets the
usage placeholders (``[选项]``, ``命令 [参数]...``) on a click command tree.
"""

from __future__ import annotations

import gettext as _gettext
import re
import sys
from typing import Any

MESSAGES: dict[str, str] = {
    "Usage:": "用法：",
    "Options": "选项",
    "Commands": "命令",
    "Arguments": "参数",
    "Positional arguments": "位置参数",
    "Show this message and exit.": "显示本帮助并退出。",
    "Show the version and exit.": "显示版本并退出。",
    "Aborted!": "已中止。",
    "Aborted.": "已中止。",
    "Error": "错误",
    "Error: {message}": "错误：{message}",
    "Missing command.": "缺少命令。",
    "Missing argument": "缺少参数",
    "Missing option": "缺少选项",
    "Missing parameter": "缺少参数",
    "Missing parameter: {param_name}": "缺少参数：{param_name}",
    "Missing {param_type}": "缺少{param_type}",
    "argument": "参数",
    "option": "选项",
    "parameter": "参数",
    "No such command {name!r}.": "没有命令 {name!r}。",
    "No such option {name!r}.": "没有选项 {name!r}。",
    "No such option: {name}": "没有选项：{name}",
    "Try '{command} {option}' for help.": "用“{command} {option}”查看帮助。",
    "Try [blue]'{command_path} {help_option}'[/] for help.": "用“{command_path} {help_option}”查看帮助。",
    "Invalid value for {param_hint}: {message}": "{param_hint} 的值无效：{message}",
    "Invalid value: {message}": "值无效：{message}",
    "Could not open file {filename!r}: {message}": "无法打开文件 {filename!r}：{message}",
    "Option {name!r} does not take a value.": "选项 {name!r} 不带值。",
    "Option {name!r} requires an argument.": "选项 {name!r} 需要一个值。",
    "Argument {name!r} takes {nargs} values.": "参数 {name!r} 需要 {nargs} 个值。",
    "Got unexpected extra argument ({args})": "多余的参数（{args}）",
    "Got unexpected extra arguments ({args})": "多余的参数（{args}）",
    "required": "必填",
    "[required]": "[必填]",
    "default: {default}": "默认：{default}",
    "[default: {}]": "[默认：{}]",
    "env var: {var}": "环境变量：{var}",
    "[env var: {}]": "[环境变量：{}]",
    "(deprecated) ": "（已弃用）",
    "deprecated": "已弃用",
    "file": "文件",
    "directory": "目录",
    "path": "路径",
    "{name} {filename!r} does not exist.": "{name} {filename!r} 不存在。",
    "{name} {filename!r} is a file.": "{name} {filename!r} 是文件，应为目录。",
    "{name} {filename!r} is a directory.": "{name} {filename!r} 是目录，应为文件。",
    "{name} {filename!r} is not readable.": "{name} {filename!r} 不可读。",
    "{name} {filename!r} is not writable.": "{name} {filename!r} 不可写。",
    "{name} {filename!r} is not executable.": "{name} {filename!r} 不可执行。",
    "{value!r} is not a valid {number_type}.": "{value!r} 不是有效的{number_type}。",
    "integer": "整数",
    "float": "数字",
    "{value} is not in the range {range}.": "{value} 不在范围 {range} 内。",
    "{value!r} is not a valid boolean. Recognized values: {states}": "{value!r} 不是有效的是/否值（可用：{states}）",
    "Choose from:\n\t{choices}": "可选：\n\t{choices}",
    "{value!r} is not {choice}.": "{value!r} 不是 {choice}。",
    "{value!r} is not one of {choices}.": "{value!r} 不在 {choices} 之中。",
}
PLURALS: dict[str, str] = {
    "Got unexpected extra argument ({args})": "多余的参数（{args}）",
    "No such option: {name}": "没有选项：{name}",
    "Option {name!r} requires an argument.": "选项 {name!r} 需要一个值。",
    "Option {name!r} requires {nargs} arguments.": "选项 {name!r} 需要 {nargs} 个值。",
}
#: Argument types as help lists them (``<str>`` → ``<文本>``).
TYPES = {"str": "文本", "text": "文本", "path": "路径", "int": "整数", "integer": "整数", "float": "数字", "bool": "是/否", "boolean": "是/否", "file": "文件", "choice": "选项"}
_installed = False


def gettext(message: str) -> str:
    return MESSAGES.get(message, message)


def ngettext(singular: str, plural: str, count: int) -> str:
    return PLURALS.get(singular if count == 1 else plural, PLURALS.get(singular, singular if count == 1 else plural))


def _modules() -> list[str]:
    """click's and typer's modules that are loaded (typer.main loads every one that prints)."""
    import typer.main  # noqa: F401  (loads typer.core, typer._click.* and click.*)

    return [name for name in list(sys.modules) if name.split(".")[0] in ("click", "typer")]


def install() -> None:
    """Translate click's and typer's messages (idempotent)."""
    global _installed
    if _installed:
        return
    _installed = True
    for name in _modules():
        module = sys.modules[name]
        if getattr(module, "_", None) is _gettext.gettext:
            module._ = gettext  # type: ignore[attr-defined]
        if getattr(module, "ngettext", None) is _gettext.ngettext:
            module.ngettext = ngettext  # type: ignore[attr-defined]
    _patch_typer_click()
    import typer.core

    argument: Any = typer.core.TyperArgument
    if hasattr(argument, "_usage_display_name"):
        def usage_name(self: Any) -> str:
            name = self.display_name_raw
            name = name if self.required else f"[{name}]"
            return name + ("..." if self.nargs != 1 else "")

        argument._usage_display_name = usage_name
    for kind in (typer.core.TyperArgument, typer.core.TyperOption):
        if hasattr(kind, "display_type"):
            kind.display_type = _chinese_type(kind.display_type)  # type: ignore[method-assign]


#: typer's copy of click writes these in English without gettext: rewritten where they are shown.
ERRORS: list[tuple[str, str]] = [
    (r"^Missing argument '(.+)'\.$", r"缺少参数“\1”。"),
    (r"^Missing option '(.+)'\.$", r"缺少选项“\1”。"),
    (r"^Missing parameter: (.+)$", r"缺少参数：\1"),
    (r"^No such option: (\S+) \(Possible options: (.+)\)$", r"没有选项 \1（是不是：\2）"),
    (r"^No such option: (\S+)$", r"没有选项 \1"),
    (r"^No such command '(.+)'\.$", r"没有命令“\1”。"),
    (r"^Got unexpected extra arguments? \((.+)\)$", r"多余的参数（\1）"),
    (r"^Option '(.+)' requires an argument\.$", r"选项“\1”需要一个值。"),
    (r"^Option '(.+)' requires (\d+) arguments\.$", r"选项“\1”需要 \2 个值。"),
    (r"^Option '(.+)' does not take a value\.$", r"选项“\1”不带值。"),
    (r"^Invalid value for (.+?): (.+)$", r"\1 的值无效：\2"),
    (r"^Invalid value: (.+)$", r"值无效：\1"),
    (r"Input should be a valid integer.*$", "应为整数"),
    (r"Input should be a valid number.*$", "应为数字"),
    (r"Input should be a valid boolean.*$", "应为是/否"),
    (r"'(.+)' is not one of (.+)\.$", r"“\1”不在可选值 \2 之中。"),
    (r"(?:File|Path|Directory) '(.+)' does not exist\.$", r"“\1”不存在。"),
]


def translate_error(message: str) -> str:
    """A click usage error in Chinese (unknown wording is kept as it is)."""
    for pattern, replacement in ERRORS:
        message = re.sub(pattern, replacement, message)
    return message


def _patch_typer_click() -> None:
    """typer's copy of click: the help option's text, the ``Usage:`` prefix, headings and the error lines."""
    try:
        from typer._click import decorators, exceptions, formatting
    except ImportError:  # an older typer uses click itself, translated through gettext
        return
    original_help = decorators.help_option

    def help_option(param_decls: list[str]) -> Any:
        decorate = original_help(param_decls)

        def apply(command: Any) -> Any:
            result = decorate(command)
            command.params[-1].help = MESSAGES["Show this message and exit."]
            return result

        return apply

    decorators.help_option = help_option
    write_usage = formatting.HelpFormatter.write_usage

    def usage(self: Any, prog: str, args: str = "", prefix: str | None = None) -> None:
        write_usage(self, prog, args, "用法：" if prefix is None else prefix)

    def heading(self: Any, text: str) -> None:
        self.write(f"{'':>{self.current_indent}}{text}：\n")

    formatting.HelpFormatter.write_usage = usage  # type: ignore[method-assign]
    formatting.HelpFormatter.write_heading = heading  # type: ignore[method-assign,assignment]

    def show_usage_error(self: Any, file: Any = None) -> None:
        file = file or exceptions.get_text_stderr()
        color = None
        if self.ctx is not None:
            color = self.ctx.color
            hint = ""
            if self.ctx.command.get_help_option(self.ctx) is not None:
                hint = f"用“{self.ctx.command_path} {self.ctx.help_option_names[0]}”查看帮助。\n"
            exceptions.echo(f"{self.ctx.get_usage()}\n{hint}", file=file, color=color)
        exceptions.echo(f"错误：{translate_error(self.format_message())}", file=file, color=color)

    def show_error(self: Any, file: Any = None) -> None:
        exceptions.echo(f"错误：{translate_error(self.format_message())}", file=file or exceptions.get_text_stderr())

    exceptions.UsageError.show = show_usage_error  # type: ignore[method-assign]
    exceptions.ClickException.show = show_error  # type: ignore[method-assign]


def _chinese_type(original: Any) -> Any:
    def display_type(self: Any, ctx: Any) -> str:
        shown: str = original(self, ctx)
        inner = shown.strip("<>")
        return f"<{TYPES.get(inner.lower(), inner)}>" if shown.startswith("<") else shown

    return display_type


def chinese_placeholders(command: Any) -> Any:
    """``[选项]`` and ``命令 [参数]...`` in the usage line of ``command`` (a click command) and every subcommand."""
    command.options_metavar = "[选项]"
    if hasattr(command, "commands"):
        command.subcommand_metavar = "命令 [参数]..."
        for sub in command.commands.values():
            chinese_placeholders(sub)
    return command
