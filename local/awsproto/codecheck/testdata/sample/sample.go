package sample

import "github.com/dragons-dev/dragons/local/awsproto"

const codeGone = "NoSuchThing"

var sampleErrors = awsproto.ErrorTable{codeGone: 404}

func gone() error { return sampleErrors.New(codeGone, "gone") }

func missing() error { return sampleErrors.New("NotInTable", "x") }

func dynamic(code string) error { return sampleErrors.New(code, "x") }

func bypass() error { return awsproto.Errorf(400, "Own", "x") }

func literal() error { return &awsproto.Error{Code: "Own", Status: 409} }

func fine() error { return &awsproto.Error{Code: "NoStatus"} }
