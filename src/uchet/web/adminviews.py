"""Administrator screens (S01, S02): users and roles, for holders of a superuser role only.

* **Users**: the list of logins; create a user with roles; edit name, e-mail, roles, language
  and whether the login is active; set a new password (argon2, through ``platform.users``).
  The last active administrator cannot be disabled or lose the superuser role, so the site can
  never lock itself out of its own administration.
* **Roles**: what each role of the configuration may do, table by table, computed by the same
  :class:`~uchet.platform.records.permissions.Permissions` that enforces it (so the screen cannot
  disagree with the rules), and which users hold each role.

Both are Flask-Admin ``BaseView``\\ s under an "Administration" menu category. Anyone else gets
403 (and is not shown the menu); every form carries a CSRF token (``SecureForm``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from flask import abort, flash, redirect, request, url_for
from flask_admin import Admin, BaseView, expose
from flask_babel import LazyString
from flask_login import current_user
from wtforms import (
    BooleanField,
    Form,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.widgets import CheckboxInput, ListWidget

from uchet.platform.model.errors import ValidationError
from uchet.platform.model.numbers import as_id
from uchet.platform.records.permissions import ACTIONS
from uchet.platform.records.users import User
from uchet.web import screenlock
from uchet.web.auth import check_csrf, here
from uchet.web.context import WebContext
from uchet.web.formbase import SecureForm
from uchet.web.screen import TranslatedRender

CATEGORY = "uchet_administration"
ACTION_LABELS = {
    "create": "May create",
    "read": "May read",
    "update": "May change",
    "delete": "May delete",
    "mail": "May send messages",  # issue 19
}
#: The rights the roles page shows per table.
SHOWN_RIGHTS = (*ACTIONS, "mail")
LEVEL_LABELS = {"none": "hidden", "read": "read only", "write": "read and write"}
MIN_PASSWORD = 8


class SuperuserOnly(TranslatedRender, BaseView):
    """A screen only the holders of a superuser role may see or use."""

    def __init__(self, c: WebContext, name: Any, endpoint: str, url: str):
        self.c = c
        super().__init__(name=name, category=CATEGORY, endpoint=endpoint, url=url)

    def is_accessible(self) -> bool:
        return self.c.is_superuser()

    def is_visible(self) -> bool:
        return self.c.is_superuser()

    def inaccessible_callback(self, name: str, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=here()))
        abort(403)


# -- users -------------------------------------------------------------------------------------
class _Checkboxes(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def user_form_class(c: WebContext, *, creating: bool) -> type[Form]:
    """The form of the user card, labelled in the current locale."""
    t = c.gettext

    class UserForm(SecureForm):
        name = StringField(t("Name"))
        email = StringField(t("E-mail"))
        roles = _Checkboxes(
            t("Roles"),
            choices=[SelectChoice(r.id, c.label(r.data["label"], r.id)) for r in c.config.roles],
        )
        # Absent or unknown means "automatic" (the browser's language): nothing to refuse.
        locale = SelectField(
            t("Language"),
            validate_choice=False,
            choices=[
                SelectChoice("", t("Automatic")),
                *[SelectChoice(loc, loc.upper()) for loc in c.locales],
            ],
            filters=[lambda v: v if v in c.locales else ""],
        )
        active = BooleanField(t("Active"), default=True)

    if creating:
        UserForm.login = StringField(t("Login"))
        UserForm.password = PasswordField(t("Password"))
    return UserForm


class PasswordForm(SecureForm):
    password = PasswordField()
    confirm = PasswordField()


def _show_errors(form: Form, messages: dict[str, Any], c: WebContext) -> None:
    """Put the engine's messages next to the fields they name (the rest on the form)."""
    for name, errors in messages.items():
        texts = [c.gettext(str(e)) for e in (errors if isinstance(errors, list) else [errors])]
        target = form[name] if name in form else form["csrf_token"]
        target.errors = [*target.errors, *texts]


class UsersView(SuperuserOnly):
    """The users of the site: list, create, edit, new password."""

    @expose("/")
    def index(self) -> Any:
        users = self.c.platform.users.all()
        return self.render("uchet/admin_users.html", users=users, role_label=self.role_label,
                           idle_minutes=screenlock.idle_minutes(self.c))  # fmt: skip

    @expose("/screen-lock/", methods=("POST",))
    def screen_lock_view(self) -> Any:
        """«Блокировка экрана»: the idle minutes of every session of the site (S48)."""
        check_csrf()
        raw = request.form.get("idle_minutes", "").strip()
        try:
            screenlock.save_idle_minutes(self.c, int(raw))
        except ValueError:
            text = "The idle time must be a whole number of minutes from 0 to 1440."
            flash(self.c.gettext(text), "error")
            return redirect(url_for(".index"))
        flash(self.c.gettext("The screen lock setting was saved."), "success")
        return redirect(url_for(".index"))

    def role_label(self, role_id: str) -> str:
        for role in self.c.config.roles:
            if role.id == role_id:
                return self.c.label(role.data["label"], role_id)
        return role_id + " (?)"  # a role removed from the configuration: it grants nothing

    @expose("/new/", methods=("GET", "POST"))
    def create_view(self) -> Any:
        form = user_form_class(self.c, creating=True)(
            request.form if request.method == "POST" else None
        )
        # Every check runs, so all the problems show at once, each next to its field.
        if request.method == "POST" and all([form.validate(), self._check_new(form)]):
            try:
                user = self.c.platform.users.create(
                    form.login.data.strip(),
                    form.password.data,
                    name=form.name.data.strip() or None,
                    roles=form.roles.data,
                    email=form.email.data.strip() or None,
                    locale=form.locale.data or None,
                )
                if not form.active.data:
                    self.c.platform.users.set_active(user.id or 0, False)
            except ValidationError as exc:
                _show_errors(form, exc.messages, self.c)
            else:
                flash(self.c.gettext("User %(login)s was created.", login=user.login), "success")
                return redirect(url_for(".index"))
        return self.render("uchet/admin_user_form.html", form=form, user=None, password_form=None)

    def _check_new(self, form: Any) -> bool:
        """The checks with messages in the user's language (the engine re-checks)."""
        t, ok = self.c.gettext, True
        login = (form.login.data or "").strip()
        if not login:
            form.login.errors.append(t("A login is required."))
            ok = False
        elif self.c.platform.users.find(login) is not None:
            form.login.errors.append(t("This login is taken."))
            ok = False
        if len(form.password.data or "") < MIN_PASSWORD:
            form.password.errors.append(t("A password needs at least 8 characters."))
            ok = False
        return ok

    def _user(self) -> User:
        user_id = as_id(request.args.get("id"))
        user = self.c.platform.users.get(user_id) if user_id is not None else None
        if user is None:
            abort(404)
        return user

    @expose("/edit/", methods=("GET", "POST"))
    def edit_view(self) -> Any:
        user = self._user()
        form_cls = user_form_class(self.c, creating=False)
        if request.method == "POST":
            form = form_cls(request.form)
            if all([form.validate(), self._check_admin_left(form, user)]):
                try:
                    self.c.platform.users.update(
                        user.id or 0,
                        name=form.name.data,
                        email=form.email.data or "",
                        roles=form.roles.data,
                        locale=form.locale.data or "",
                        active=form.active.data,
                    )
                except ValidationError as exc:
                    _show_errors(form, exc.messages, self.c)
                else:
                    flash(self.c.gettext("User %(login)s was saved.", login=user.login), "success")
                    return redirect(url_for(".index"))
        else:
            form = form_cls(data=_form_data(user))
        return self.render(
            "uchet/admin_user_form.html", form=form, user=user, password_form=PasswordForm()
        )

    def _check_admin_left(self, form: Any, user: User) -> bool:
        """Refuse the change that would leave the site without an active administrator."""
        perms = self.c.runtime.permissions
        after = User(user.id, user.login, user.name, tuple(form.roles.data))
        if form.active.data and perms.is_superuser(after):
            return True
        others = [
            u
            for u in self.c.platform.users.all()
            if u.id != user.id and u.active and perms.is_superuser(u)
        ]
        if others:
            return True
        message = self.c.gettext("At least one active administrator must remain.")
        field = form.roles if form.active.data else form.active
        field.errors = [*field.errors, message]
        return False

    @expose("/password/", methods=("POST",))
    def password_view(self) -> Any:
        user = self._user()
        form = PasswordForm(request.form)
        t = self.c.gettext
        if form.validate():
            if len(form.password.data or "") < MIN_PASSWORD:
                form.password.errors.append(t("A password needs at least 8 characters."))
            elif form.password.data != form.confirm.data:
                form.confirm.errors.append(t("The passwords do not match."))
            else:
                self.c.platform.users.set_password(user.id or 0, form.password.data)
                flash(t("The password of %(login)s was changed.", login=user.login), "success")
                return redirect(url_for(".edit_view", id=user.id))
        edit = user_form_class(self.c, creating=False)(data=_form_data(user))
        return self.render(
            "uchet/admin_user_form.html", form=edit, user=user, password_form=form
        ), 400

    @expose("/logout-everywhere/", methods=("POST",))
    def logout_everywhere_view(self) -> Any:
        """End every session of the user (issue 13), e.g. after a lost phone; audited."""
        check_csrf()
        user = self._user()
        users = self.c.platform.users
        users.end_sessions(user.id or 0)
        actor = current_user.user.login if current_user.is_authenticated else "?"
        users.record_event("logout_all", user.login, user.id,
                           {"by": actor, "address": request.remote_addr})  # fmt: skip
        flash(self.c.gettext("The user's sessions have ended on all devices."), "success")
        return redirect(url_for(".edit_view", id=user.id))


def _form_data(user: User) -> dict[str, Any]:
    """A user's current settings as the edit form shows them."""
    return {
        "name": user.name,
        "email": user.email or "",
        "roles": list(user.roles),
        "locale": user.locale or "",
        "active": user.active,
    }


# -- roles -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TableRights:
    """One row of the roles screen: what a role may do with one table."""

    label: str
    actions: tuple[str, ...]
    fields: tuple[tuple[str, str], ...]  # (field label, level) where not the default
    rows: tuple[str, ...]  # row rules, in words; () means every row


class RolesView(SuperuserOnly):
    """The configuration's roles in words, and who holds them."""

    OPS: ClassVar[dict[str, str]] = {
        "eq": "=",
        "ne": "≠",
        "lt": "<",
        "le": "≤",
        "gt": ">",
        "ge": "≥",
        "in": "∈",
        "between": "between",
        "contains": "contains",
        "startswith": "starts with",
        "is_null": "is empty",
    }

    @expose("/")
    def index(self) -> Any:
        users = self.c.platform.users.all()
        roles = []
        for role in self.c.config.roles:
            holders = [u for u in users if role.id in u.roles]
            roles.append(
                {
                    "id": role.id,
                    "label": self.c.label(role.data["label"], role.id),
                    "superuser": bool(role.data.get("superuser")),
                    "tables": [] if role.data.get("superuser") else self.rights(role.id),
                    "holders": holders,
                }
            )
        actions = [(a, self.c.gettext(ACTION_LABELS[a])) for a in SHOWN_RIGHTS]
        return self.render("uchet/admin_roles.html", roles=roles, actions=actions)

    def rights(self, role_id: str) -> list[TableRights]:
        """The rights of ``role_id`` on each table, as the permission checks compute them."""
        probe = User(None, "role:" + role_id, role_id, (role_id,))
        perms = self.c.runtime.permissions
        out = []
        for table in self.c.config.tables:
            access = perms.access(probe, table.id)
            default = "write" if access.actions & {"create", "update"} else "read"
            fields = tuple(
                (self.c.label(f.label, f.name), self.c.gettext(LEVEL_LABELS[access.fields[f.name]]))
                for f in table.fields
                if access.actions
                and access.fields[f.name] != default
                and not (f.read_only and access.fields[f.name] == "read")
            )
            rows = tuple(
                " ∧ ".join(self._rule(table, r) for r in rules)
                for rules in access.row_rules
                if rules
            )
            out.append(
                TableRights(
                    self.c.table_label(table),
                    tuple(a for a in SHOWN_RIGHTS if access.can(a)),
                    fields,
                    rows,
                )
            )
        return out

    def _rule(self, table: Any, rule: Any) -> str:
        """A row rule in words: "Manager = the current user"; ``{"any": [...]}`` reads as
        its conditions joined by "or"."""
        if "any" in rule:
            alternatives = (self._rule(table, r) for r in rule["any"])
            return "(" + f" {self.c.gettext('or')} ".join(alternatives) + ")"
        names, labels, current = rule["field"].split("."), [], table
        for name in names:
            if current is None or not current.has_field(name):
                labels.append(name)
                current = None
                continue
            f = current.field_by_name(name)
            labels.append(self.c.label(f.label, f.name))
            current = self.c.config.table(f.target) if f.type == "reference" and f.target else None
        value = rule.get("value")
        shown = self.c.gettext("the current user") if value == "$user" else repr(value)
        op = self.c.gettext(self.OPS.get(rule["op"], rule["op"]))
        return f"{' → '.join(labels)} {op}" + ("" if rule["op"] == "is_null" else f" {shown}")


def add_views(admin: Admin, c: WebContext) -> None:
    """Add the administration screens and label their menu category per locale."""
    admin.add_view(UsersView(c, LazyString(lambda: c.gettext("Users")), "uchet_users", "/-/users"))
    admin.add_view(RolesView(c, LazyString(lambda: c.gettext("Roles")), "uchet_roles", "/-/roles"))
    for item in admin.menu():
        if item.name == CATEGORY:
            item.name = LazyString(lambda: c.gettext("Administration"))
