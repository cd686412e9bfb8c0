"""The runner: one sync run of one account, from listing to journal.

Per account and record kind: list the remote changes since the account's token (a
full listing when there is none or the provider refuses it), gather the local changes
(dirty bindings, tombstones, new records in scope), let the engine plan, and carry the
plan out in batches that commit. Every item runs in a savepoint: one failing item fails
alone, is journaled with its reason, and is retried by the next run. The sync token
advances only when every remote change was applied in Odoo, so nothing received is
ever skipped; what was already applied is a no-op the next time (content hashes).
"""

import contextlib
import logging
import threading
import time
from collections import Counter

import psycopg2

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, MissingError, UserError, ValidationError
from odoo.tools import SQL

from ..engine import plan as engine_plan
from ..engine.adapter import (
    AuthExpired,
    AuthFailed,
    ItemRejected,
    NotFound,
    RateLimited,
    SyncError,
    TokenInvalid,
    Transient,
    VersionConflict,
    describe,
)
from ..engine.plan import Binding, LocalChange
from ..engine.policies import MassDeleteRefused, SyncSettings
from .sync_mixin import NO_MARK

_logger = logging.getLogger(__name__)

LOCK_CLASS = 0x43524D53  # "CRMS": the advisory-lock namespace of sync accounts
BATCH_SIZE = 200
MAX_RETRY_WAIT = 60  # seconds a run waits on a 429/503 before giving up until later
RETRIES = 3
ANALYZE_AFTER = 1000  # bindings created in one run before the table's statistics are renewed

ITEM_ERRORS = (Transient, ItemRejected, VersionConflict, NotFound, UserError,
               ValidationError, AccessError, MissingError, psycopg2.IntegrityError,
               psycopg2.DataError)
COUNTER_FIELDS = {
    engine_plan.CREATE_LOCAL: "local_created", engine_plan.UPDATE_LOCAL: "local_updated",
    engine_plan.DELETE_LOCAL: "local_deleted", engine_plan.RELEASE_LOCAL: "local_unlinked",
    engine_plan.CREATE_REMOTE: "remote_created", engine_plan.UPDATE_REMOTE: "remote_updated",
    engine_plan.DELETE_REMOTE: "remote_deleted",
    engine_plan.RELEASE_REMOTE: "remote_unlinked",
}


def can_commit(env) -> bool:
    """Whether this transaction may be committed: not inside a test's own cursor."""
    registry = env.registry
    if registry.in_test_mode():
        return env.cr is not registry.test_cr  # a TestCursor commits to a savepoint
    return not getattr(threading.current_thread(), "testing", False)


def can_open_cursor(env) -> bool:
    """Whether a second, independent transaction can be opened. In Odoo's test mode
    every cursor is a savepoint on one connection, and nesting a second one under a
    request's cursor breaks both, so work stays in the current cursor there."""
    return can_commit(env) and not env.registry.in_test_mode()


class RunStopped(Exception):
    """Stops the whole run (credentials, rate limit beyond patience)."""

    def __init__(self, cause: SyncError, retry_after: float | None = None):
        super().__init__(describe(cause))
        self.cause = cause
        self.retry_after = retry_after


class CrmSyncRunner(models.AbstractModel):
    _name = "crm.sync.runner"
    _description = "CRM sync runner"

    @api.model
    def _run_account(self, account, trigger="manual"):
        """Run (or, with trigger "preview", plan) one account. Returns the run, or None
        when another worker holds the account."""
        account.ensure_one()
        lock_cr = self.env.registry.cursor() if can_open_cursor(self.env) else self.env.cr
        try:
            lock_cr.execute("SELECT pg_try_advisory_xact_lock(%s, %s)",
                            (LOCK_CLASS, account.id))
            if not lock_cr.fetchone()[0]:
                _logger.info("CRM sync: account %s is already running elsewhere", account.id)
                return None
            return SyncJob(self.env, account.sudo(), trigger).run()
        finally:
            if lock_cr is not self.env.cr:
                lock_cr.rollback()  # releases the advisory lock
                lock_cr.close()


class SyncJob:
    """One run of one account; holds the run's counters and its one credential refresh."""

    def __init__(self, env, account, trigger):
        self.env = env
        self.account = account
        self.trigger = trigger
        self._stats = Counter()
        self._kind_stats = {}  # kind -> Counter: the same counts per record kind
        self._auth_refreshed = False
        self._tag_prefix = None

    def run(self):
        return self._run_locked(self.account, self.trigger)

    def _commit(self):
        if can_commit(self.env):
            self.env.cr.commit()

    def _run_locked(self, account, trigger):
        preview = trigger == "preview"
        run = self.env["crm.sync.run"].sudo().create({
            "account_id": account.id, "trigger": trigger,
        })
        self._commit()
        account_vals = {}
        try:
            for kind in account._sync_kinds():
                self._run_kind(account, kind, run, preview)
            state = "preview" if preview else ("partial" if self._stats["failed"] else "done")
            self._finish(run, state)
            if not preview:
                account_vals = {"state": "connected", "last_error": False,
                                "allow_mass_delete": False}
        except MassDeleteRefused as exc:
            self._rollback()
            self._finish(run, "failed", str(exc))
            account_vals = {"state": "error", "last_error": str(exc)}
        except RunStopped as exc:
            self._rollback()
            message = account._sync_error_message(exc.cause)
            _logger.warning("CRM sync: run of account %s stopped: %s", account.id,
                            describe(exc.cause))
            self._finish(run, "failed" if not self._stats["done"] else "partial", message)
            if isinstance(exc.cause, (AuthFailed, AuthExpired)):
                account_vals = {"state": "error", "last_error": message}
            else:
                account_vals = {"last_error": message}
            if exc.retry_after:
                account_vals["next_sync_at"] = fields.Datetime.add(
                    fields.Datetime.now(), seconds=int(exc.retry_after) + 1)
        except Exception as exc:
            # A bug or an unexpected server answer: logged once with its traceback,
            # shown to the user as the run's message; the next run starts over.
            _logger.exception("CRM sync: run of account %s failed", account.id)
            self._rollback()
            message = account._sync_error_message(exc)
            self._finish(run, "failed", message)
            account_vals = {"last_error": message}
        if not preview:
            now = fields.Datetime.now()
            account_vals.setdefault("next_sync_at", account._sync_next_time(now))
            account.write(dict(account_vals, last_sync_at=now))
        self._commit()
        return run

    def _rollback(self):
        if can_commit(self.env):
            self.env.cr.rollback()
        else:
            self.env.invalidate_all()

    def _count(self, kind, counter, amount=1):
        self._stats[counter] += amount
        self._kind_stats.setdefault(kind, Counter())[counter] += amount

    def _kind_counts(self):
        return {kind: {k: v for k, v in counts.items() if v}
                for kind, counts in self._kind_stats.items()}

    def _finish(self, run, state, message=None):
        vals = {"state": state, "ended_at": fields.Datetime.now(),
                "kind_counts": self._kind_counts(),
                **{f: self._stats[f] for f in ("skipped", "conflicts", "failed",
                                               *COUNTER_FIELDS.values())}}
        if message:
            vals["message"] = message
        run.write(vals)

    # ------------------------------------------------------------------ one kind

    def _run_kind(self, account, kind, run, preview):
        provider = account._sync_provider()
        settings = account._sync_settings_dict()
        mapper = provider.mappers[kind].for_settings(settings)
        adapter = account._sync_adapter(kind)
        # The remote side already notified the attendees of what it sends us: creating
        # those events here must not mail them again (dont_notify: no Odoo alarms
        # either, no_mail_to_attendees: no invitation per future event).
        Model = self.env[mapper.model].with_user(account.user_id).with_context(
            **{NO_MARK: True}, tracking_disable=True, mail_create_nolog=True,
            mail_notrack=True, active_test=False, dont_notify=True,
            no_mail_to_attendees=True)
        Binding_ = self.env["crm.sync.binding"].sudo()
        tokens = dict(account.sync_tokens or {})

        try:
            listing = self._call(adapter, adapter.list_changes, tokens.get(kind))
        except TokenInvalid:
            _logger.info("CRM sync: account %s %s: sync token refused, listing everything",
                         account.id, kind)
            run.full_resync = True
            listing = self._call(adapter, adapter.list_changes, None)

        base = [("account_id", "=", account.id), ("res_model", "=", mapper.model)]
        if listing.complete:
            bindings = Binding_.search(base)
        else:
            remote_ids = {i.remote_id for i in listing.items}
            remote_ids.update(p for i in listing.items for p in i.previous_ids)
            bindings = Binding_.search(base + [
                "|", "|", "|", ("dirty", "=", True), ("tombstone", "=", True),
                ("pending_create", "=", True), ("remote_id", "in", list(remote_ids))])

        local_changes = self._local_changes(account, kind, mapper, Model, bindings, settings)
        local_changes += self._tagged_unbound(account, mapper, Model, listing.items, bindings,
                                              local_changes)
        engine_bindings = {b.id: Binding(
            local_id=b.res_id or None, remote_id=b.remote_id or None,
            remote_version=b.remote_version or None, local_hash=b.local_hash or None,
            remote_hash=b.remote_hash or None, key=b.id, pending=b.pending_create,
            local_tag=b.local_tag or None) for b in bindings}
        items = list(listing.items)
        items += self._find_pending(adapter, engine_bindings.values(), items)

        the_plan = engine_plan.plan(
            engine_bindings.values(), local_changes, items, complete=listing.complete,
            settings=SyncSettings(direction=account.direction,
                                  policy=account.conflict_policy,
                                  deletion=account.deletion_mode,
                                  allow_mass_delete=account.allow_mass_delete),
            clock_offset=listing.clock_offset, volatile=mapper.volatile,
            bound_total=Binding_.search_count(base + [("remote_id", "!=", False)]))
        self._count(kind, "conflicts", the_plan.conflicts)

        if preview:
            self._journal_preview(run, kind, mapper, the_plan)
            return

        inbound_failed = self._apply(account, kind, mapper, adapter, Model, run,
                                     the_plan.actions, settings)
        creates = sum(1 for a in the_plan.actions
                      if a.op in (engine_plan.CREATE_LOCAL, engine_plan.CREATE_REMOTE))
        if creates >= ANALYZE_AFTER:
            # A first sync multiplies the bindings; until autovacuum notices, PostgreSQL
            # plans the next run's anti-join for an empty table (a nested loop: seconds
            # instead of milliseconds with 10,000 contacts).
            self.env.cr.execute("ANALYZE crm_sync_binding")
        if listing.next_token and not inbound_failed:
            tokens[kind] = listing.next_token
            account.sync_tokens = tokens
        elif inbound_failed:
            _logger.info("CRM sync: account %s %s: %d remote changes failed; the token is "
                         "kept so they come again", account.id, kind, inbound_failed)
        self._commit()

    def _local_changes(self, account, kind, mapper, Model, bindings, settings):
        """LocalChange for dirty, pending and deleted bound records, and for the records
        in scope that no binding knows yet (one anti-join query)."""
        changes = []
        scope = mapper.scope_domain(settings)
        todo = bindings.filtered(lambda b: b.res_id and (b.dirty or b.pending_create
                                                         or b.tombstone))
        alive = set(Model.browse(todo.mapped("res_id")).exists().ids) if todo else set()
        in_scope = Model._crm_sync_in_scope(scope, alive) if alive else set()
        wanted = [b for b in todo if b.res_id in in_scope and not b.tombstone]
        values = self._read_canonical(mapper, Model, [b.res_id for b in wanted])
        for b in todo:
            if b.tombstone or b.res_id not in alive:
                changes.append(LocalChange(b.res_id, gone="deleted",
                                           changed_at=b.local_changed_at))
            elif b.res_id not in in_scope:
                changes.append(LocalChange(b.res_id, gone="out_of_scope",
                                           changed_at=b.local_changed_at))
            else:
                changes.append(LocalChange(b.res_id, values=values[b.res_id],
                                           changed_at=b.local_changed_at,
                                           local_tag=b.local_tag or None))
        new_ids = self._unbound_in_scope(account, Model, scope)
        values = self._read_canonical(mapper, Model, new_ids)
        for res_id in new_ids:
            changes.append(LocalChange(res_id, values=values[res_id],
                                       local_tag=self._tag(account, Model._name, res_id)))
        return changes

    def _tagged_unbound(self, account, mapper, Model, items, bindings, local_changes):
        """Records of ours whose remote item is listed but bound to nothing: the binding
        was released (the record left the synced scope while the account only exported)
        and the item came back into a listing. They join the plan so that the engine
        adopts the item by its tag instead of importing a copy of the record."""
        prefix = self._tag(account, Model._name, "")
        bound = set(bindings.mapped("remote_id"))
        tagged = {}
        for item in items:
            tag = item.local_tag or ""
            if item.deleted or item.remote_id in bound or not tag.startswith(prefix):
                continue
            if tag[len(prefix):].isdigit():
                tagged[int(tag[len(prefix):])] = tag
        for change in local_changes:
            tagged.pop(change.local_id, None)
        if not tagged:
            return []
        known = self.env["crm.sync.binding"].sudo().search(
            [("account_id", "=", account.id), ("res_model", "=", Model._name),
             ("res_id", "in", list(tagged))]).mapped("res_id")
        # as the account's user: a record it may not read is not adopted
        ids = sorted(Model._crm_sync_in_scope([], set(tagged) - set(known)))
        values = self._read_canonical(mapper, Model, ids)
        return [LocalChange(i, values=values[i], local_tag=tagged[i]) for i in ids]

    def _read_canonical(self, mapper, Model, ids):
        result = {}
        for start in range(0, len(ids), 1000):
            chunk = Model.browse(ids[start:start + 1000])
            for row in chunk.read(list(mapper.fields)):
                result[row["id"]] = mapper.to_canonical(row)
        return result

    def _unbound_in_scope(self, account, Model, scope):
        query = Model._search(list(scope))
        table = query.table
        query.add_where(SQL(
            "NOT EXISTS (SELECT 1 FROM crm_sync_binding b WHERE b.account_id = %s "
            "AND b.res_model = %s AND b.res_id = %s)",
            account.id, Model._name, SQL.identifier(table, "id")))
        query.order = SQL.identifier(table, "id")
        return [row[0] for row in self.env.execute_query(query.select())]

    def _tag(self, account, model, res_id):
        """The tag our remote creates carry: this database, account and record."""
        if self._tag_prefix is None:
            uuid = self.env["ir.config_parameter"].sudo().get_param("database.uuid", "")
            self._tag_prefix = f"odoo:{uuid[:12]}:{account.id}"
        return f"{self._tag_prefix}:{model}:{res_id}"

    def _find_pending(self, adapter, bindings, items):
        """Pending creates the listing does not show: ask the remote by tag."""
        listed_tags = {i.local_tag for i in items if i.local_tag}
        found = []
        for b in bindings:
            if b.pending and b.local_tag and b.local_tag not in listed_tags:
                try:
                    item = self._call(adapter, adapter.find_by_tag, b.local_tag)
                except (Transient, NotFound, ItemRejected):
                    item = None
                if item is not None:
                    found.append(item)
        return found

    # ------------------------------------------------------------------ calls

    def _call(self, adapter, method, *args):
        """Call the remote side: a 401 refreshes the credentials once per run, a 429/503
        waits as Retry-After says (up to MAX_RETRY_WAIT) and retries, RETRIES times."""
        attempt = 0
        while True:
            try:
                return method(*args)
            except AuthExpired as exc:
                if self._auth_refreshed:
                    raise RunStopped(exc)
                self._auth_refreshed = True
                try:
                    adapter.refresh_auth()
                except (AuthFailed, AuthExpired) as refused:
                    raise RunStopped(refused)
            except AuthFailed as exc:
                raise RunStopped(exc)
            except RateLimited as exc:
                wait = exc.retry_after if exc.retry_after is not None else 2 ** attempt
                attempt += 1
                if attempt > RETRIES or wait > MAX_RETRY_WAIT:
                    raise RunStopped(exc, retry_after=wait)
                _logger.info("CRM sync: rate limited, waiting %.1f s", wait)
                time.sleep(wait)

    # ------------------------------------------------------------------ applying

    def _apply(self, account, kind, mapper, adapter, Model, run, actions, settings):
        """Carry out the plan in committed batches; return how many remote changes
        could not be applied in Odoo."""
        inbound_failed = 0
        total = len(actions)
        for start in range(0, total, BATCH_SIZE):
            batch_started = time.monotonic()
            batch = actions[start:start + BATCH_SIZE]
            self._prepare_pending(account, kind, Model, batch)
            self._commit()  # the tag of every create is stored before the create is sent
            creates = [a for a in batch if a.op == engine_plan.CREATE_LOCAL and not a.binding]
            done_creates = self._create_local_batch(account, kind, mapper, Model, creates,
                                                    settings)
            done_creates |= self._create_remote_batch(
                kind, mapper, adapter, Model, run,
                [a for a in batch if a.op == engine_plan.CREATE_REMOTE])
            batchable = self._batchable(batch)
            done_creates |= self._update_remote_batch(
                kind, mapper, adapter, Model, run,
                [a for a in batchable if a.op == engine_plan.UPDATE_REMOTE])
            for op, method in ((engine_plan.RELEASE_REMOTE, "release_many"),
                               (engine_plan.DELETE_REMOTE, "delete_many")):
                done_creates |= self._remove_remote_batch(
                    kind, adapter, Model, run, method, [a for a in batchable if a.op == op])
            for action in batch:
                if id(action) in done_creates:
                    continue
                ok = self._apply_one(account, kind, mapper, adapter, Model, run, action,
                                     settings)
                if not ok and (action.side == "local"
                               or action.op in (engine_plan.BIND, engine_plan.REFRESH)):
                    inbound_failed += 1
            self._flush_stats(run)
            self._commit()
            _logger.debug("CRM sync: account %s %s: %d/%d actions, batch in %.2f s",
                          account.id, kind, min(start + BATCH_SIZE, total), total,
                          time.monotonic() - batch_started)
            self.env["ir.cron"]._notify_progress(done=min(start + BATCH_SIZE, total),
                                                 remaining=max(total - start - BATCH_SIZE, 0))
        return inbound_failed

    def _prepare_pending(self, account, kind, Model, batch):
        """Before any create is sent, its binding is stored as pending, with the tag the
        remote item will carry and the hash of the values sent: a lost answer is then
        adopted by tag (never sent twice), and edits made meanwhile stay edits."""
        creates = [a for a in batch if a.op == engine_plan.CREATE_REMOTE]
        if not creates:
            return
        Binding_ = self.env["crm.sync.binding"].sudo()
        new = [a for a in creates if a.binding is None or a.binding.key is None]
        records = Binding_.create([{
            "account_id": account.id, "kind": kind, "res_model": Model._name,
            "res_id": a.local_id, "pending_create": True,
            "local_tag": a.local_tag or self._tag(account, Model._name, a.local_id),
            "local_hash": a.local_hash, "remote_hash": a.local_hash,
        } for a in new])
        for action, record in zip(new, records, strict=True):
            action.local_tag = record.local_tag
            if action.binding is None:
                action.binding = Binding(action.local_id, None, key=record.id, pending=True,
                                         local_tag=record.local_tag)
            else:
                action.binding.key = record.id
        for action in creates:
            if action.binding.key in records.ids:
                continue
            # A binding whose remote item was deleted while Odoo's edit won: it starts
            # over as a pending create, so its old remote id is never written to again.
            action.local_tag = action.local_tag or self._tag(account, Model._name,
                                                             action.local_id)
            Binding_.browse(action.binding.key).write({
                "remote_id": False, "remote_version": False, "pending_create": True,
                "local_tag": action.local_tag, "local_hash": action.local_hash,
                "remote_hash": action.local_hash,
            })

    def _create_local_batch(self, account, kind, mapper, Model, actions, settings):
        """Records created from the remote side, in one create() per batch; on any
        error the batch falls back to one savepoint per item so the bad one fails alone."""
        if len(actions) < 2:
            return set()
        extra = mapper.scope_values(settings)
        try:
            with self.env.cr.savepoint():
                records = Model.create([dict(mapper.to_odoo(a.values), **extra)
                                        for a in actions])
                self.env["crm.sync.binding"].sudo()._insert_synced(
                    account.id, kind, Model._name,
                    [(record.id, a.remote_id, a.remote_version, a.local_hash, a.remote_hash)
                     for a, record in zip(actions, records, strict=True)])
        except ITEM_ERRORS:
            return set()
        self._count(kind, "local_created", len(actions))
        return {id(a) for a in actions}

    def _create_remote_batch(self, kind, mapper, adapter, Model, run, actions):
        """Remote creates in one call when the adapter has ``create_many`` (e.g. People's
        batchCreateContacts). A batch the provider refuses as a whole falls back to one
        create per item, so the bad item fails alone; a lost answer leaves every item
        pending, to be adopted by its tag. Returns the actions it handled."""
        create_many = getattr(adapter, "create_many", None)
        if create_many is None or len(actions) < 2:
            return set()
        try:
            results = self._call(adapter, create_many,
                                 [(a.values, a.local_tag) for a in actions])
        except (ItemRejected, VersionConflict, NotFound):
            return set()
        except Transient as exc:
            for action in actions:
                self._stats["failed"] += 1
                self._line(run, kind, Model, action, "error", self._reason(exc))
            _logger.info("CRM sync: a batch of %d creates got no answer: %s", len(actions),
                         describe(exc))
            return {id(a) for a in actions}
        Binding_ = self.env["crm.sync.binding"].sudo()
        now = fields.Datetime.now()
        for action, result in zip(actions, results, strict=True):
            if isinstance(result, Exception):
                self._stats["failed"] += 1
                self._line(run, kind, Model, action, "error", self._reason(result))
                continue
            remote_id, version, stored = result
            Binding_.browse(action.binding.key).write({
                "local_hash": action.local_hash,
                "remote_hash": self._hash(mapper, stored) if stored is not None
                else action.remote_hash,
                "dirty": False, "last_sync_at": now, "remote_id": remote_id,
                "remote_version": version, "pending_create": False, "tombstone": False})
            self._stats["remote_created"] += 1
            self._stats["done"] += 1
        return {id(a) for a in actions}

    @staticmethod
    def _batchable(batch):
        """Actions on a stored binding that no other action of the batch touches: they
        may run before the rest (a BIND and the update planned after it may not)."""
        seen = Counter(a.local_id for a in batch if a.local_id)
        seen.update(a.remote_id for a in batch if a.remote_id)
        return [a for a in batch if a.binding is not None and a.binding.key
                and a.remote_id and seen[a.remote_id] == 1
                and (not a.local_id or seen[a.local_id] == 1)]

    def _batch_done(self, kind, run, Model, action):
        """Counters and conflict line of an action carried out within a remote batch."""
        if action.op in COUNTER_FIELDS:
            self._count(kind, COUNTER_FIELDS[action.op])
        self._stats["done"] += 1
        if action.conflict:
            self._line(run, kind, Model, action, "conflict", action.conflict,
                       discarded=action.discarded)

    def _batch_failed(self, kind, run, Model, action, exc):
        self._count(kind, "failed")
        self._keep_listed_version(action)
        self._line(run, kind, Model, action, "error", self._reason(exc))

    def _update_remote_batch(self, kind, mapper, adapter, Model, run, actions):
        """Remote updates in one call when the adapter has ``update_many`` (e.g. People's
        batchGet + batchUpdateContacts). It takes ``(remote_id, values, if_match)`` items
        and answers, per item, what ``update`` returns or the item's exception. A batch
        the provider refuses as a whole (one stale version fails the whole request)
        falls back to one update per item, so only that item fails. Returns the actions
        it handled."""
        update_many = getattr(adapter, "update_many", None)
        if update_many is None or len(actions) < 2:
            return set()
        try:
            results = self._call(adapter, update_many,
                                 [(a.remote_id, a.values, a.if_match) for a in actions])
        except (ItemRejected, VersionConflict, NotFound, Transient) as exc:
            _logger.info("CRM sync: a batch of %d updates was refused, sending them one by "
                         "one: %s", len(actions), describe(exc))
            return set()
        Binding_ = self.env["crm.sync.binding"].sudo()
        now = fields.Datetime.now()
        for action, result in zip(actions, results, strict=True):
            if isinstance(result, Exception):
                self._batch_failed(kind, run, Model, action, result)
                continue
            version, stored, *moved = result
            vals = {"local_hash": action.local_hash, "remote_hash": action.remote_hash,
                    "dirty": False, "last_sync_at": now, "remote_version": version}
            if stored is not None:
                vals["remote_hash"] = self._hash(mapper, stored)
            if moved and moved[0] and moved[0] != action.remote_id:
                vals["remote_id"] = moved[0]
            Binding_.browse(action.binding.key).write(vals)
            self._batch_done(kind, run, Model, action)
        return {id(a) for a in actions}

    def _remove_remote_batch(self, kind, adapter, Model, run, method_name, actions):
        """Remote releases (``release_many``) or deletions (``delete_many``) in one call
        when the adapter has the method. It takes ``(remote_id, if_match)`` items and
        answers, per item, None or the item's exception (NotFound: already gone, done).
        A batch refused as a whole falls back to one call per item."""
        method = getattr(adapter, method_name, None)
        if method is None or len(actions) < 2:
            return set()
        try:
            results = self._call(adapter, method,
                                 [(a.remote_id, a.if_match) for a in actions])
        except (ItemRejected, VersionConflict, NotFound, Transient) as exc:
            _logger.info("CRM sync: a batch of %d %s was refused, sending them one by "
                         "one: %s", len(actions), method_name, describe(exc))
            return set()
        Binding_ = self.env["crm.sync.binding"].sudo()
        gone = Binding_
        for action, result in zip(actions, results, strict=True):
            if isinstance(result, Exception) and not isinstance(result, NotFound):
                self._batch_failed(kind, run, Model, action, result)
                continue
            gone |= Binding_.browse(action.binding.key)
            self._batch_done(kind, run, Model, action)
        gone.exists().unlink()
        return {id(a) for a in actions}

    def _binding_vals(self, account, kind, Model, action, res_id):
        return {
            "account_id": account.id, "kind": kind, "res_model": Model._name,
            "res_id": res_id, "remote_id": action.remote_id,
            "remote_version": action.remote_version, "local_hash": action.local_hash,
            "remote_hash": action.remote_hash, "last_sync_at": fields.Datetime.now(),
        }

    def _apply_one(self, account, kind, mapper, adapter, Model, run, action, settings):
        try:
            with self.env.cr.savepoint():
                self._do(account, kind, mapper, adapter, Model, action, settings)
        except RunStopped:
            raise
        except ITEM_ERRORS as exc:
            self._count(kind, "failed")
            self._keep_listed_version(action)
            self._line(run, kind, Model, action, "error", self._reason(exc))
            _logger.info("CRM sync: account %s %s %s failed: %s", account.id, kind,
                         action.op, describe(exc))
            return False
        if action.op in COUNTER_FIELDS:
            self._count(kind, COUNTER_FIELDS[action.op])
        self._stats["done"] += 1
        if action.conflict:
            self._line(run, kind, Model, action, "conflict", action.conflict,
                       discarded=action.discarded)
        return True

    def _keep_listed_version(self, action):
        """A remote write failed: the token still moves past the listing it was planned
        from, so the binding takes the version and content that listing showed. The
        retry then meets the remote as it is, instead of an old If-Match forever."""
        if action.listed_version is None or not (action.binding and action.binding.key):
            return
        with self.env.cr.savepoint():
            self.env["crm.sync.binding"].sudo().browse(action.binding.key).write({
                "remote_version": action.listed_version, "remote_hash": action.listed_hash})

    def _reason(self, exc):
        if isinstance(exc, VersionConflict):
            return _("Changed remotely while syncing; it will be reconciled next run "
                     "(%(reason)s).", reason=describe(exc))
        if isinstance(exc, psycopg2.Error):
            return _("Odoo refused the values: %(reason)s", reason=describe(exc))
        if isinstance(exc, (UserError, ValidationError, AccessError, MissingError)):
            return exc.args[0] if exc.args else describe(exc)
        return describe(exc)

    def _do(self, account, kind, mapper, adapter, Model, action, settings):
        Binding_ = self.env["crm.sync.binding"].sudo()
        binding = Binding_.browse(action.binding.key) if action.binding and \
            action.binding.key else Binding_
        now = fields.Datetime.now()
        op = action.op
        synced = {"local_hash": action.local_hash, "remote_hash": action.remote_hash,
                  "dirty": False, "last_sync_at": now}

        if op == engine_plan.CREATE_REMOTE:
            remote_id, version, stored = self._call(
                adapter, adapter.create, action.values, action.local_tag)
            if stored is not None:
                synced["remote_hash"] = self._hash(mapper, stored)
            binding.write(dict(synced, remote_id=remote_id, remote_version=version,
                               pending_create=False, tombstone=False))
        elif op == engine_plan.UPDATE_REMOTE:
            version, stored, *moved = self._call(adapter, adapter.update, action.remote_id,
                                                 action.values, action.if_match)
            if stored is not None:
                synced["remote_hash"] = self._hash(mapper, stored)
            if moved and moved[0] and moved[0] != action.remote_id:
                synced["remote_id"] = moved[0]  # the update moved the item (a new id)
            binding.write(dict(synced, remote_version=version))
        elif op in (engine_plan.DELETE_REMOTE, engine_plan.RELEASE_REMOTE):
            method = adapter.delete if op == engine_plan.DELETE_REMOTE else adapter.release
            with contextlib.suppress(NotFound):  # already gone: the deletion is done
                self._call(adapter, method, action.remote_id, action.if_match)
            binding.unlink()
        elif op == engine_plan.CREATE_LOCAL:
            vals = dict(mapper.to_odoo(action.values), **mapper.scope_values(settings))
            record = Model.create(vals)
            if binding:
                binding.write(dict(synced, res_id=record.id, tombstone=False,
                                   remote_version=action.remote_version))
            else:
                Binding_.create(self._binding_vals(account, kind, Model, action, record.id))
        elif op == engine_plan.UPDATE_LOCAL:
            record = Model.browse(action.local_id)
            record.write(mapper.to_odoo(action.values))
            binding.write(dict(synced, remote_version=action.remote_version))
        elif op == engine_plan.DELETE_LOCAL:
            Model.browse(action.local_id).exists().unlink()
            binding.unlink()
        elif op == engine_plan.RELEASE_LOCAL:
            record = Model.browse(action.local_id).exists()
            if record:
                record.write(mapper.release_values(settings))
            binding.unlink()
        elif op == engine_plan.BIND:
            # The dirty mark stays: an edit made since the create is pushed by the
            # action planned after this one, and retried if that fails.
            vals = {"remote_id": action.remote_id, "pending_create": False,
                    "remote_version": action.remote_version, "last_sync_at": now}
            if action.local_hash:
                vals.update(local_hash=action.local_hash, remote_hash=action.remote_hash)
            if binding:
                binding.write(vals)
            else:
                record = Binding_.create(dict(
                    vals, account_id=account.id, kind=kind, res_model=Model._name,
                    res_id=action.local_id, local_tag=action.binding.local_tag))
                action.binding.key = record.id
        elif op == engine_plan.REFRESH:
            binding.write(dict(synced, remote_version=action.remote_version))
        elif op == engine_plan.FORGET:
            binding.unlink()
        else:
            raise ValueError(f"unknown sync action {op!r}")

    def _hash(self, mapper, values):
        from ..engine.hashing import content_hash
        return content_hash(values, mapper.volatile)

    # ------------------------------------------------------------------ journal

    def _line(self, run, kind, Model, action, level, reason, discarded=None):
        self.env["crm.sync.run.line"].sudo().create({
            "run_id": run.id, "kind": kind, "level": level, "operation": action.op,
            "res_model": Model._name, "res_id": action.local_id or False,
            "remote_id": action.remote_id or False, "reason": reason,
            "discarded": discarded or False,
        })

    def _flush_stats(self, run):
        run.write({"kind_counts": self._kind_counts(),
                   **{f: self._stats[f] for f in ("conflicts", "failed",
                                                  *COUNTER_FIELDS.values())}})

    def _journal_preview(self, run, kind, mapper, the_plan):
        for action in the_plan.writes():
            self._line(run, kind, self.env[mapper.model], action,
                       "conflict" if action.conflict else "info",
                       action.conflict or action.op.replace("_", " "),
                       discarded=action.discarded)
            if action.op in COUNTER_FIELDS:
                self._count(kind, COUNTER_FIELDS[action.op])
