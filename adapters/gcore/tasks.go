package gcore

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/computegw/computegw/driver"
)

// The task model (gcore.md, "Tasks"): every write except rename and
// security groups answers {"tasks": [ID]} at once and does the work later;
// GET /v1/tasks/{id} moves NEW → RUNNING → FINISHED or ERROR. The adapter
// returns from such writes as soon as Gcore accepted them (the instance's
// status and task_state then show the work, so WatchInstance follows it);
// only CreateInstance waits, because the new instance's ID is known only
// from the finished task's created_resources.

// Task states.
const (
	taskNew      = "NEW"
	taskFinished = "FINISHED"
	taskError    = "ERROR"
)

// getTask runs GET /v1/tasks/{id}.
func (a *Adapter) getTask(ctx context.Context, op, id string) (*wireTask, error) {
	var t wireTask
	if err := a.call(ctx, request{op: op + ": read task " + id, method: http.MethodGet,
		path: "/v1/tasks/" + driver.PathSegment(id), out: &t}); err != nil {
		return nil, err
	}
	return &t, nil
}

// waitTask polls the task until it is FINISHED or ERROR, with back-off
// (a.poll growing by half to a.max), within ctx: the caller's deadline and
// the cloud's timeout. Transient failures of a poll are polled through; the
// request that started the task is never repeated.
func (a *Adapter) waitTask(ctx context.Context, op, id string) (*wireTask, error) {
	delay := a.poll
	last := taskNew
	var lastErr error
	for {
		t, err := a.getTask(ctx, op, id)
		switch {
		case err == nil:
			last, lastErr = strings.ToUpper(t.State), nil
			switch last {
			case taskFinished:
				return t, nil
			case taskError:
				text := strings.TrimSpace(t.Error)
				if text == "" {
					text = "Gcore gave no error text"
				}
				// Nothing was created (gcore.md): a definite failure, so a
				// retry with the same request_id may create again.
				return nil, &driver.Error{Code: driver.CodeFailedPrecondition, Reason: "BACKEND_TASK_FAILED",
					VendorCode: "task " + taskError, VendorMessage: a.secrets.String(text),
					Message: fmt.Sprintf("%s: Gcore's %s task %s ended in ERROR: %s (nothing was created)",
						op, taskType(t), id, a.secrets.String(text))}
			}
		case !transient(err):
			// Gcore accepted the create: whatever reading its task says
			// (a 404, a key revoked meanwhile), the outcome is unknown, never
			// a refusal that would let a retry create a second instance.
			return nil, acceptedButUnknown(op, id, err)
		default:
			lastErr = err
		}
		if !a.sleep(ctx, delay) {
			return nil, stillRunning(ctx, op, id, last, lastErr)
		}
		delay = min(delay*3/2, a.max)
	}
}

func taskType(t *wireTask) string {
	if t.TaskType != "" {
		return t.TaskType
	}
	return "create"
}

// stillRunning is the error when the wait ends before the task does: the
// outcome is unknown (the instance may yet appear), so it is a deadline or
// cancellation, never a refusal a caller might "fix" by creating again.
func stillRunning(ctx context.Context, op, id, state string, lastErr error) error {
	code := driver.CodeDeadlineExceeded
	if errors.Is(ctx.Err(), context.Canceled) {
		code = driver.CodeCanceled
	}
	msg := fmt.Sprintf("%s: Gcore accepted it, but its task %s was still %s when the wait ended (the caller's deadline or the cloud's timeout); "+
		"the instance may still appear: list instances to check before creating again", op, id, state)
	return &driver.Error{Code: code, Message: msg, Err: errors.Join(ctx.Err(), lastErr)}
}

// acceptedButUnknown is the error when the task of an accepted create cannot
// be read: UNAVAILABLE (an unknown outcome), with Gcore's answer kept.
func acceptedButUnknown(op, id string, err error) error {
	de := amend("", err)
	return &driver.Error{Code: driver.CodeUnavailable, VendorHTTPStatus: de.VendorHTTPStatus,
		VendorCode: de.VendorCode, VendorMessage: de.VendorMessage, Err: err,
		Message: fmt.Sprintf("%s: Gcore accepted it (task %s), but reading the task failed (%s); "+
			"the instance may still appear: list instances to check before creating again", op, id, de.Message)}
}
