package events

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// errorTypeName mirrors how aws-lambda-go names an error in the invocation
// response: the name of the (pointed-to) Go type.
func errorTypeName(err error) string {
	t := reflect.TypeOf(err)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Name()
}

func TestCaughtErrorNamesAreGoTypeNames(t *testing.T) {
	errs := map[string]error{
		"DragonValidationException":     &DragonValidationException{Message: "x"},
		"DragonStorageException":        &DragonStorageException{Message: "x"},
		"DragonCatalogCorruptException": &DragonCatalogCorruptException{Message: "x"},
	}
	names := CaughtErrorNames()
	if len(names) != len(errs) {
		t.Fatalf("CaughtErrorNames() = %v, want one entry per error type %v", names, errs)
	}
	for _, name := range names {
		err, ok := errs[name]
		if !ok {
			t.Fatalf("no error type for caught name %q", name)
		}
		if got := errorTypeName(err); got != name {
			t.Errorf("error type name = %q, want %q", got, name)
		}
	}
}

func TestDragonValidationExceptionUnwrapsThroughWrapping(t *testing.T) {
	err := fmt.Errorf("validate: %w", &DragonValidationException{Message: "name taken"})
	var dve *DragonValidationException
	if !errors.As(err, &dve) {
		t.Fatal("errors.As did not find DragonValidationException")
	}
	if dve.Error() != "name taken" {
		t.Errorf("Error() = %q", dve.Error())
	}
}

func TestWrappingExceptionsKeepTheirCause(t *testing.T) {
	cause := errors.New("503 SlowDown")
	for _, err := range []error{
		&DragonStorageException{Message: "get catalog: 503 SlowDown", Err: cause},
		&DragonCatalogCorruptException{Message: "catalog is not JSON", Err: cause},
	} {
		if !errors.Is(err, cause) {
			t.Errorf("%T does not unwrap to its cause", err)
		}
		if strings.Contains(err.Error(), "%!") || err.Error() == "" {
			t.Errorf("%T.Error() = %q", err, err.Error())
		}
	}
	var se *DragonStorageException
	if !errors.As(fmt.Errorf("task: %w", &DragonStorageException{Message: "m"}), &se) || se.Message != "m" {
		t.Error("errors.As did not find a wrapped DragonStorageException")
	}
}

func TestDragonAddedCheck(t *testing.T) {
	good := DragonAdded{
		EventID:      "0f8fad5b-d9cb-469f-a165-70867728950e",
		Version:      DragonAddedVersion,
		ExecutionArn: "arn:aws:states:us-east-1:000000000000:express:add-dragon:0f8fad5b-d9cb-469f-a165-70867728950e:0f8fad5b-d9cb-469f-a165-70867728950e",
		Dragon:       Dragon{DragonName: "Ember", Family: "red"},
	}
	if err := good.Check(); err != nil {
		t.Fatalf("Check(good) = %v", err)
	}
	cases := map[string]func(*DragonAdded){
		"empty id":      func(d *DragonAdded) { d.EventID = "" },
		"path in id":    func(d *DragonAdded) { d.EventID = "../x" },
		"slash in id":   func(d *DragonAdded) { d.EventID = "a/b" },
		"long id":       func(d *DragonAdded) { d.EventID = strings.Repeat("a", 129) },
		"wrong version": func(d *DragonAdded) { d.Version = 2 },
		"no name":       func(d *DragonAdded) { d.Dragon.DragonName = "" },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			d := good
			mutate(&d)
			if err := d.Check(); err == nil {
				t.Errorf("Check(%+v) = nil, want an error", d)
			}
		})
	}
}

func TestDragonAddedJSONFieldNames(t *testing.T) {
	b, err := json.Marshal(DragonAdded{EventID: "e1", Version: 1, ExecutionArn: "arn", Dragon: Dragon{DragonName: "n"}})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"eventId", "version", "executionArn", "dragon"} {
		if _, ok := m[k]; !ok {
			t.Errorf("marshalled detail %s lacks %q", b, k)
		}
	}
	dragon := m["dragon"].(map[string]any)
	if len(dragon) != 7 || dragon["dragon_name_str"] != "n" {
		t.Errorf("dragon = %v, want the 7 course-format fields", dragon)
	}
}
