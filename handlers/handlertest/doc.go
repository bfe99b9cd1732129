// Package handlertest runs the real CPOR Claims app for HTTP tests: the
// handlers.App over a migrated temp-file SQLite database with the demo data,
// a fake clock, an in-process SMTP server and an httptest server.
//
//	env := handlertest.New(t)                         // torn down by t.Cleanup
//	c := env.NewClient(t)                             // one browser: cookies, no auto-redirects
//	c.LoginAs(handlertest.AdminEmail)                 // demo account, models.DemoPassword
//	r := c.Get("/profile")
//	handlertest.WantStatus(t, r, 200)
//	name := r.Doc().Find("h1").Text()                 // goquery
//	r = c.PostForm("/profile", url.Values{"name": {"Ann"}}) // _csrf read from the page
//	handlertest.WantRedirect(t, r, "/profile")
//	r = c.Submit(c.Get("/profile"), `form[action="/profile"]`, url.Values{"language": {"hu"}})
//	                                                  // posts the form as the page has it, with overrides
//
// Mail: the app sends through go-mail to env.SMTP; env.WaitForMail runs
// worker passes until a matching message arrives (or fails the test), and
// LinkIn pulls a link out of its text part:
//
//	msg := env.WaitForMail(t, handlertest.To(handlertest.UserEmail))
//	link := handlertest.LinkIn(msg, "/account/password/")
//	c.Get(link) // absolute links are sent to the test server
//
// Time only moves when the test moves it (env.Clock.Advance); the worker
// runs when the test runs it (env.RunWorker, or WithBackgroundWorker).
// env.SMTP.SetBehaviour(handlertest.Reject or DropInData) makes delivery fail.
// Options tune the rest: WithConfig (rate limits, PublicURL), WithDB (reopen
// a database file, for restart tests), WithSender, WithWorker, WithStart.
//
// Password hashing is made cheap for the whole test binary (FastPasswords),
// so signing in costs microseconds; production parameters are untouched.
package handlertest
