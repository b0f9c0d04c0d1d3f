package detect

import (
	"bytes"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// SQL dumps (mysqldump, pg_dump, sqlite3 .dump) name every value's column
// far from the value: in a CREATE TABLE statement, or in the column list of
// an INSERT or COPY statement. The reader of a dump follows the statements
// with an SQLTracker, which hands each block of the dump an SQL context
// (Columns) saying which tables it knows and in which statement the block
// starts; the Matcher then gives each value the kind of its column, as it
// does for the fields of JSON and CSV.
//
// Neither side parses more than it must. The tracker looks at line starts
// only (a mysqldump INSERT line of hundreds of megabytes is skipped by one
// IndexByte), and a Matcher parses the values of the tables that have a
// column of interest, attributing them to columns by position as it goes.
// A block that starts inside a long INSERT line finds the next row by its
// "),(" and checks every row it parses against the table's number of
// columns, so a row misread (a wrong guess about string escapes, a column
// list that does not match) is dropped, not reported under the wrong name.

// fieldVersion marks a column of versions ("version", "os_version"): dotted
// quads in its values are versions, not IP addresses. SQL dumps and CSV
// headers use it.
const fieldVersion fieldKind = 0xff

// fieldCountry marks a column naming a row's country: national phone
// numbers in the row's phone columns are read in its region.
// fieldCardNumber marks a column of card numbers (card_number, pan): a
// valid number of any brand in it is a card, even one whose shape is also
// an id's (UATP's 15 digits starting with 1) and needs a card word in
// running text. SQL dumps use them; CSV headers have Columns.country and
// Columns.card.
const (
	fieldCountry    fieldKind = 0xfe
	fieldCardNumber fieldKind = 0xfd
)

// sqlCols are the kinds of a table's (or a column list's) columns, in order.
// A table's CREATE TABLE also gives their names and declared types.
type sqlCols struct {
	kinds []fieldKind
	any   bool // some column has a kind
	// open: the number of columns is not known (a rewrite reading the
	// rows of a table no CREATE TABLE declares).
	open bool
	// Of a CREATE TABLE: the table's name, its columns' names (lower
	// case) and types, and whether it is an SQLite STRICT table.
	table  string
	names  []string
	types  []sqlType
	strict bool
}

// sqlMode is where a line of a dump stands.
type sqlMode uint8

const (
	sqlNormal sqlMode = iota // between statements
	sqlInsert                // inside an INSERT statement that goes on
	sqlCopy                  // inside the data of a COPY ... FROM stdin
)

// Limits of what a tracker keeps.
const (
	sqlMaxHead   = 64 << 10  // bytes kept of a line longer than a block
	sqlMaxCreate = 256 << 10 // bytes kept of a CREATE TABLE statement
	sqlMaxTables = 100000
	sqlMaxRow    = 1 << 20 // a row longer than this is not checked for a resync
)

// sqlContext is what a block of a dump needs to know of the dump before it.
// It is never modified once handed out.
type sqlContext struct {
	tables  map[string]*sqlCols
	mode    sqlMode
	cur     *sqlCols // columns of the INSERT or COPY the block starts in
	create  []byte   // start of a CREATE TABLE statement the block ends
	escapes bool     // strings use backslash escapes (MySQL)
	midLine bool     // the block starts inside a line
	sqlite  bool     // the dump is sqlite3's .dump
	head    []byte   // the first line of the INSERT or COPY the block starts in
}

// SQLTracker follows the statements of an SQL dump read in order. It is
// fed every byte of the dump once, and tells each block where it starts.
// An SQLTracker is not safe for concurrent use; the contexts it returns
// are.
type SQLTracker struct {
	tables  map[string]*sqlCols
	shared  bool // tables is referenced by a context: copy before writing
	mode    sqlMode
	cur     *sqlCols
	inCrt   bool
	create  []byte
	escapes bool
	sqlite  bool
	head    []byte // the first line of the INSERT or COPY statement being read
	// The current line, not yet ended: its first bytes and its length.
	line    []byte
	lineLen int
	lastSig byte
	// The columns of the INSERT the current line starts, once asked.
	lineCur    *sqlCols
	lineCurSet bool
}

// NewSQLTracker returns a tracker for a dump whose first bytes are head
// (used to tell MySQL's backslash escapes from standard SQL strings).
func NewSQLTracker(head []byte) *SQLTracker {
	return &SQLTracker{tables: map[string]*sqlCols{}, escapes: mysqlDump(head), sqlite: sqliteDump(head)}
}

// sqliteDump reports whether a dump's head is sqlite3's .dump: its tables
// take any value in any column, unless they are STRICT.
func sqliteDump(head []byte) bool {
	head = head[:min(len(head), 256)]
	return bytes.HasPrefix(head, []byte("PRAGMA foreign_keys=")) || bytes.HasPrefix(head, []byte("BEGIN TRANSACTION;"))
}

// mysqlDump reports whether a dump's head is mysqldump's, MariaDB's or
// phpMyAdmin's: their strings escape quotes with a backslash.
func mysqlDump(head []byte) bool {
	head = head[:min(len(head), 4096)]
	return bytes.Contains(head, []byte("-- MySQL dump")) || bytes.Contains(head, []byte("-- MariaDB dump")) ||
		bytes.Contains(head, []byte("-- phpMyAdmin SQL Dump")) || bytes.Contains(head, []byte("/*!40101 SET"))
}

// Columns returns the SQL context of a block that starts at the current
// position: after the bytes fed so far, or, with midLine, inside the line
// they end with.
func (t *SQLTracker) Columns(midLine bool) *Columns {
	ctx := &sqlContext{tables: t.tables, mode: t.mode, cur: t.cur, escapes: t.escapes, midLine: midLine, sqlite: t.sqlite, head: t.head}
	t.shared = true
	if t.inCrt {
		ctx.create = slices.Clone(t.create)
	}
	if midLine && t.mode != sqlCopy && !t.inCrt {
		if !t.lineCurSet {
			t.lineCurSet = true
			if cur, _, ok := insertHeader(t.line, t.tables, nil, false); ok {
				t.lineCur = cur
			}
		}
		if t.lineCur != nil {
			ctx.mode, ctx.cur, ctx.head = sqlInsert, t.lineCur, slices.Clone(t.line)
		}
	}
	return &Columns{sql: ctx}
}

// Feed follows the statements in p, the next bytes of the dump.
func (t *SQLTracker) Feed(p []byte) {
	for len(p) > 0 {
		if t.mode == sqlCopy && t.lineLen == 0 && !bytes.HasPrefix(p, []byte(`\.`)) {
			// COPY data: only its end, a line "\.", matters.
			if k := bytes.Index(p, []byte("\n\\.")); k >= 0 {
				p = p[k+1:]
				continue
			}
			p = p[bytes.LastIndexByte(p, '\n')+1:]
			if len(p) == 0 {
				return
			}
		}
		nl := bytes.IndexByte(p, '\n')
		if nl < 0 {
			t.addLine(p)
			return
		}
		line := p[:nl]
		var ends bool
		if t.lineLen > 0 {
			t.addLine(line)
			line, ends = t.line, t.lastSig == ';'
		} else {
			ends = statementEnds(line)
		}
		t.endLine(line, ends)
		t.line, t.lineLen, t.lastSig, t.lineCur, t.lineCurSet = t.line[:0], 0, 0, nil, false
		p = p[nl+1:]
	}
}

// addLine keeps the first bytes of a line that goes on, and its last byte
// other than a space.
func (t *SQLTracker) addLine(p []byte) {
	if room := sqlMaxHead - len(t.line); room > 0 {
		t.line = append(t.line, p[:min(len(p), room)]...)
	}
	t.lineLen += len(p)
	if q := bytes.TrimRight(p, " \t\r"); len(q) > 0 {
		t.lastSig = q[len(q)-1]
	}
}

// endLine follows one line of the dump, of which head is the start; ends
// tells whether the line ends a statement.
func (t *SQLTracker) endLine(head []byte, ends bool) {
	head = bytes.TrimRight(head, "\r")
	switch t.mode {
	case sqlCopy:
		if string(head) == `\.` {
			t.mode, t.cur = sqlNormal, nil
		}
		return
	case sqlInsert:
		if ends {
			t.mode, t.cur = sqlNormal, nil
		}
		return
	}
	if t.inCrt {
		if len(t.create) < sqlMaxCreate {
			t.create = append(append(t.create, '\n'), head...)
		}
		if ends {
			t.inCrt = false
			t.addTable(t.create)
		}
		return
	}
	switch sqlStatement(head) {
	case "CREATE":
		if !createTable(head) {
			return
		}
		t.create = append(t.create[:0], head...)
		if ends {
			t.addTable(t.create)
		} else {
			t.inCrt = true
		}
	case "INSERT":
		if !ends {
			// The statement goes on past this line: the blocks that
			// start in it are told its columns.
			if cur, _, ok := insertHeader(head, t.tables, nil, false); ok {
				t.mode, t.cur = sqlInsert, cur
				t.head = slices.Clone(head) // contexts handed out keep theirs
			}
		}
	case "COPY":
		if cur, ok := copyHeader(head, t.tables, nil); ok {
			t.mode, t.cur = sqlCopy, cur
			t.head = slices.Clone(head) // contexts handed out keep theirs
		}
	case "SET":
		if bytes.Contains(head, []byte("standard_conforming_strings")) {
			t.escapes = bytes.HasSuffix(head, []byte("off;"))
		}
	}
}

// addTable records the columns of a CREATE TABLE statement.
func (t *SQLTracker) addTable(stmt []byte) {
	names, cols, ok := parseCreateTable(stmt)
	if !ok || len(t.tables) >= sqlMaxTables {
		return
	}
	if t.shared {
		t.tables = maps.Clone(t.tables)
		t.shared = false
	}
	for _, n := range names {
		t.tables[n] = cols
	}
}

// lookupTable returns the columns of a table named by names (qualified
// first).
func lookupTable(tables map[string]*sqlCols, names []string) *sqlCols {
	for _, n := range names {
		if c, ok := tables[n]; ok {
			return c
		}
	}
	return nil
}

// insertHeader reads "INSERT ... INTO table [(cols)] VALUES" at the start
// of line and returns the columns of the rows and where they start. ok is
// false for an INSERT without rows (INSERT ... SELECT) or a table unknown.
// A table without a column list is looked up in local, then in tables;
// with open, an unknown one has columns of a number not known.
func insertHeader(line []byte, tables, local map[string]*sqlCols, open bool) (*sqlCols, int, bool) {
	names, p, ok := insertTable(line)
	if !ok {
		return nil, 0, false
	}
	p = skipSpace(line, p)
	var cols *sqlCols
	if p < len(line) && line[p] == '(' {
		cols, p, ok = columnList(line, p, peopleTable(names))
		if !ok {
			return nil, 0, false
		}
		p = skipSpace(line, p)
	} else {
		cols = lookupTable(local, names)
		if cols == nil {
			cols = lookupTable(tables, names)
		}
		if cols == nil && open {
			cols = &sqlCols{open: true}
		}
		if cols == nil {
			return nil, 0, false
		}
	}
	w := skipWord(line, p)
	if !equalFoldASCII(line[p:w], "values") && !equalFoldASCII(line[p:w], "value") {
		return nil, 0, false
	}
	return cols, skipSpace(line, w), true
}

// copyHeader reads "COPY table [(cols)] FROM stdin;". A table without a
// column list is looked up in local, then in tables.
func copyHeader(line []byte, tables, local map[string]*sqlCols) (*sqlCols, bool) {
	if !bytes.HasSuffix(line, []byte("FROM stdin;")) {
		return nil, false
	}
	p := skipSpace(line, len("COPY"))
	names, p, ok := tableName(line, p)
	if !ok {
		return nil, false
	}
	p = skipSpace(line, p)
	if p < len(line) && line[p] == '(' {
		cols, _, ok := columnList(line, p, peopleTable(names))
		return cols, ok
	}
	cols := lookupTable(local, names)
	if cols == nil {
		cols = lookupTable(tables, names)
	}
	return cols, true
}

// sqlStatement returns the first word of a line if it starts a statement
// of interest ("CREATE", "INSERT" (also for REPLACE), "COPY", "SET").
func sqlStatement(line []byte) string {
	if len(line) < 4 {
		return ""
	}
	switch line[0] | 0x20 {
	case 'c':
		switch {
		case hasPrefixFold(line, "create "):
			return "CREATE"
		case bytes.HasPrefix(line, []byte("COPY ")):
			return "COPY"
		}
	case 'i':
		if hasPrefixFold(line, "insert ") {
			return "INSERT"
		}
	case 'r':
		if hasPrefixFold(line, "replace ") {
			return "INSERT"
		}
	case 's':
		if hasPrefixFold(line, "set ") {
			return "SET"
		}
	}
	return ""
}

// createTable reports whether a CREATE statement creates a table.
func createTable(line []byte) bool {
	p := len("CREATE")
	for range 4 { // OR REPLACE, TEMPORARY, UNLOGGED, GLOBAL
		p = skipSpace(line, p)
		w := skipWord(line, p)
		if w == p {
			return false
		}
		if equalFoldASCII(line[p:w], "table") {
			return true
		}
		p = w
	}
	return false
}

// statementEnds reports whether a line ends a statement: its last byte
// other than spaces is ';'.
func statementEnds(line []byte) bool {
	line = bytes.TrimRight(line, " \t\r")
	return len(line) > 0 && line[len(line)-1] == ';'
}

func skipSpace(b []byte, p int) int {
	for p < len(b) && (b[p] == ' ' || b[p] == '\t' || b[p] == '\n' || b[p] == '\r') {
		p++
	}
	return p
}

func skipWord(b []byte, p int) int {
	for p < len(b) && (isAlnum[b[p]] || b[p] == '_') {
		p++
	}
	return p
}

// identifier reads one SQL identifier at p: bare, `quoted`, "quoted" or
// [quoted]. It returns the name without quotes.
func identifier(b []byte, p int) ([]byte, int, bool) {
	if p >= len(b) {
		return nil, p, false
	}
	var closing byte
	switch b[p] {
	case '`':
		closing = '`'
	case '"':
		closing = '"'
	case '[':
		closing = ']'
	default:
		e := p
		for e < len(b) && (isAlnum[b[e]] || b[e] == '_' || b[e] == '$' || b[e] >= 0x80) {
			e++
		}
		return b[p:e], e, e > p
	}
	e := bytes.IndexByte(b[p+1:], closing)
	if e < 0 || e > 256 {
		return nil, p, false
	}
	return b[p+1 : p+1+e], p + 2 + e, true
}

// tableName reads a table name, maybe qualified (schema.table), and returns
// the names to look it up by: the qualified name, then the last part, both
// in lower case.
func tableName(b []byte, p int) ([]string, int, bool) {
	var parts [][]byte
	for {
		id, e, ok := identifier(b, p)
		if !ok || len(id) == 0 {
			return nil, p, false
		}
		parts = append(parts, id)
		p = e
		if p >= len(b) || b[p] != '.' || len(parts) == 3 {
			break
		}
		p++
	}
	last := string(bytes.ToLower(parts[len(parts)-1]))
	if len(parts) == 1 {
		return []string{last}, p, true
	}
	return []string{string(bytes.ToLower(bytes.Join(parts, []byte(".")))), last}, p, true
}

// columnList reads "(a, `b`, "c")" at p, the columns of a table of people
// or not.
func columnList(b []byte, p int, people bool) (*sqlCols, int, bool) {
	cols := &sqlCols{}
	p++
	for {
		p = skipSpace(b, p)
		id, e, ok := identifier(b, p)
		if !ok {
			return nil, p, false
		}
		cols.add(columnKind(id, people))
		p = skipSpace(b, e)
		if p >= len(b) {
			return nil, p, false
		}
		switch b[p] {
		case ',':
			p++
		case ')':
			return cols, p + 1, true
		default:
			return nil, p, false
		}
	}
}

func (c *sqlCols) add(k fieldKind) {
	c.kinds = append(c.kinds, k)
	// A country column alone is no reason to read a table's rows.
	c.any = c.any || k != fieldNone && k != fieldCountry
}

// peopleWords are words in the names of tables whose rows are people: a
// column called just "name" is a person's name in them, and a product's,
// a company's or a host's elsewhere.
var peopleWords = []string{
	"user", "customer", "client", "patient", "employee", "person", "people", "member", "contact",
	"student", "staff", "account", "author", "owner", "subscriber", "applicant", "guest", "passenger",
	"recipient", "sender", "doctor", "physician", "nurse", "teacher", "profile", "lead", "buyer",
	"seller", "tenant", "resident", "driver", "visitor", "attendee", "participant", "volunteer",
	"donor", "worker", "candidate", "guardian", "beneficiar", "holder", "signer", "signup",
	"registrant", "traveler", "traveller", "agent", "representative",
}

// PeopleTable reports whether a table's name says its rows are people's
// (Customer, auth_user, tblEmployees): a column called just
// "name" holds their names, and elsewhere a product's, a track's, a
// host's.
func PeopleTable(name string) bool { return peopleTable([]string{strings.ToLower(name)}) }

// peopleTable reports whether a table's name says its rows are people.
func peopleTable(names []string) bool {
	if len(names) == 0 {
		return false
	}
	n := names[len(names)-1]
	for _, w := range peopleWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// columnKind is what a column's name says about its values: the kinds of
// JSON keys and CSV headers, and fieldVersion. A column called just "name"
// only holds people's names in a table of people.
func columnKind(name []byte, people bool) fieldKind {
	var buf [64]byte
	if len(name) > 64 {
		return fieldNone
	}
	norm := normalizeFieldName(buf[:0], name)
	if norm == nil {
		return fieldNone
	}
	if k := columnName(norm); k == fieldGenericName && !people {
		return fieldNone
	} else if k != fieldNone {
		return k
	}
	if bytes.HasSuffix(norm, []byte("version")) {
		return fieldVersion
	}
	if countryFieldName(norm) {
		return fieldCountry
	}
	if cardFieldName(norm) {
		return fieldCardNumber
	}
	return fieldNone
}

// sqlConstraint are the words that start a table constraint, not a column,
// in the body of a CREATE TABLE.
var sqlConstraint = []string{"constraint", "check", "exclude", "like", "foreign", "fulltext", "spatial", "period"}

// parseCreateTable reads the columns of a CREATE TABLE statement, and
// returns the names of the table to record them under.
func parseCreateTable(stmt []byte) ([]string, *sqlCols, bool) {
	p := len("CREATE")
	for {
		p = skipSpace(stmt, p)
		w := skipWord(stmt, p)
		if w == p {
			return nil, nil, false
		}
		table := equalFoldASCII(stmt[p:w], "table")
		p = w
		if table {
			break
		}
	}
	p = skipSpace(stmt, p)
	if w := skipWord(stmt, p); equalFoldASCII(stmt[p:w], "if") {
		for range 2 { // NOT EXISTS
			p = skipWord(stmt, skipSpace(stmt, w))
			w = p
		}
		p = skipSpace(stmt, p)
	}
	names, p, ok := tableName(stmt, p)
	if !ok {
		return nil, nil, false
	}
	people := peopleTable(names)
	p = skipSpace(stmt, p)
	if p >= len(stmt) || stmt[p] != '(' {
		return nil, nil, false // CREATE TABLE ... AS, PARTITION OF
	}
	cols := &sqlCols{table: names[0]}
	var primary []byte  // a table constraint PRIMARY KEY (a, b)
	var checks [][]byte // table constraints CHECK (...)
	p++
	for {
		p = skipSpace(stmt, p)
		if p >= len(stmt) {
			return nil, nil, false
		}
		end, closed := definitionEnd(stmt, p)
		if end < 0 {
			return nil, nil, false
		}
		if def := stmt[p:end]; len(def) > 0 && !tableConstraint(def) {
			id, e, ok := identifier(def, 0)
			if !ok {
				return nil, nil, false
			}
			cols.add(columnKind(id, people))
			cols.names = append(cols.names, string(bytes.ToLower(id)))
			cols.types = append(cols.types, parseSQLType(def[e:]))
		} else if i := sqlIndexFold(def, "primary key"); i >= 0 {
			primary = def[i:]
		} else if i := sqlIndexFold(def, "check"); i >= 0 {
			checks = append(checks, def[i:])
		}
		p = end + 1
		if closed {
			if len(primary) > 0 {
				markPrimary(cols, primary)
			}
			for _, c := range checks {
				// A CHECK may refuse a mask in the columns it names.
				for i, n := range cols.names {
					if wordFold(c, n) {
						cols.types[i].text = false
						cols.types[i].checked = cols.types[i].checked || nullAware(c)
					}
				}
			}
			// SQLite: ") STRICT;", ") STRICT, WITHOUT ROWID;"
			cols.strict = sqlIndexFold(stmt[p:], "strict") >= 0
			return names, cols, len(cols.kinds) > 0
		}
	}
}

// sqlType is what a column's declared type lets a rewrite write in it.
type sqlType struct {
	name    string // lower case, without schema: "numeric", "character varying"
	text    bool   // it holds any text, so a mask
	notNull bool   // NOT NULL or PRIMARY KEY
	maxLen  int    // characters it holds at most (char(n), varchar(n)); 0: any
	rowid   bool   // SQLite's INTEGER PRIMARY KEY, an integer even in a table not STRICT
	// own: a type the dump defines (a PostgreSQL domain, enum or
	// extension type, qualified by its schema), whose constraints are
	// not known: it may refuse NULL too.
	own bool
	// checked: a CHECK that looks at NULLs names the column; it may
	// refuse a mask and NULL alike (CHECK (phone IS NOT NULL),
	// num_nonnulls(email, phone) >= 1). Any other CHECK passes NULL.
	checked bool
}

// nullAware reports whether a CHECK constraint's text can refuse a NULL:
// a CHECK whose condition is NULL passes, unless it tests for NULL
// (IS [NOT] NULL, num_nonnulls, COALESCE, IS DISTINCT FROM, CASE).
func nullAware(check []byte) bool {
	lower := bytes.ToLower(check)
	for _, w := range []string{"null", "coalesce", "distinct", "case", "nvl"} {
		if bytes.Contains(lower, []byte(w)) { // num_nonnulls, ifnull, nullif too
			return true
		}
	}
	return false
}

// sqlTextTypes are the types that hold any text: a mask fits in them.
var sqlTextTypes = map[string]bool{
	"char": true, "character": true, "nchar": true, "national character": true, "bpchar": true,
	"varchar": true, "character varying": true, "char varying": true, "nchar varying": true,
	"national character varying": true, "national char varying": true, "nvarchar": true,
	"varchar2": true, "nvarchar2": true, "text": true, "citext": true, "clob": true, "nclob": true,
	"tinytext": true, "mediumtext": true, "longtext": true, "ntext": true, "string": true,
	"blob": true, "tinyblob": true, "mediumblob": true, "longblob": true, "binary": true, "varbinary": true,
}

// sqlFixedOne are the types of one character when declared without a
// length (CHAR is CHAR(1) in standard SQL, PostgreSQL and MySQL).
var sqlFixedOne = map[string]bool{"char": true, "character": true, "nchar": true, "national character": true, "binary": true}

// parseSQLType reads the type of a column definition, def being what
// follows the column's name: "numeric(19,0)", "character varying(255)
// NOT NULL", "varchar(64) COLLATE utf8mb4_bin DEFAULT NULL".
func parseSQLType(def []byte) sqlType {
	var t sqlType
	p := skipSpace(def, 0)
	if p < len(def) && def[p] == '"' {
		// A quoted type ("char": one byte in PostgreSQL) or a user's
		// type: not known to hold text.
		t.name, t.own = "?", true
	} else {
		var words []string
		for {
			w := p
			for w < len(def) && (isAlnum[def[w]] || def[w] == '_' || def[w] == '.') {
				w++
			}
			if w == p {
				break
			}
			word := strings.ToLower(string(def[p:w]))
			if i := strings.LastIndexByte(word, '.'); i >= 0 {
				word = word[i+1:] // public.citext
				t.own = len(words) == 0
			}
			if len(words) > 0 && !slices.Contains([]string{"varying", "character", "char", "precision"}, word) {
				break
			}
			words = append(words, word)
			p = skipSpace(def, w)
			if len(words) == 1 && !slices.Contains([]string{"character", "char", "national", "nchar", "double"}, word) {
				break
			}
		}
		t.name = strings.Join(words, " ")
		t.text = sqlTextTypes[t.name]
		t.own = t.own && !t.text
		if p < len(def) && def[p] == '(' {
			if e := bytes.IndexByte(def[p:], ')'); e > 0 {
				n, err := strconv.Atoi(strings.TrimSpace(string(def[p+1 : p+e])))
				if err == nil && n > 0 {
					t.maxLen = n
				}
				p = skipSpace(def, p+e+1)
			}
		} else if sqlFixedOne[t.name] {
			t.maxLen = 1
		}
		if p < len(def) && def[p] == '[' || hasPrefixFold(def[p:], "array") {
			t.text = false // an array of text: its literal has a syntax
		}
	}
	t.notNull = sqlIndexFold(def[p:], "not null") >= 0 || sqlIndexFold(def[p:], "primary key") >= 0
	if i := sqlIndexFold(def[p:], "check"); i >= 0 {
		t.text = false // a CHECK may refuse a mask
		t.checked = nullAware(def[p+i:])
	}
	t.rowid = t.name == "integer" && sqlIndexFold(def[p:], "primary key") >= 0
	return t
}

// markPrimary marks NOT NULL the columns of a table constraint "PRIMARY
// KEY (a, b)".
func markPrimary(cols *sqlCols, def []byte) {
	open := bytes.IndexByte(def, '(')
	if open < 0 {
		return
	}
	for p := open + 1; p < len(def); {
		p = skipSpace(def, p)
		id, e, ok := identifier(def, p)
		if !ok {
			return
		}
		if i := slices.Index(cols.names, string(bytes.ToLower(id))); i >= 0 {
			cols.types[i].notNull = true
		}
		p = skipSpace(def, e)
		if p >= len(def) || def[p] != ',' {
			return
		}
		p++
	}
}

// wordFold reports whether b holds the word w (lower case) in any case,
// quoted or not, between characters that are not part of a name.
func wordFold(b []byte, w string) bool {
	for i := 0; i+len(w) <= len(b); i++ {
		if (i == 0 || !isAlnum[b[i-1]] && b[i-1] != '_') && hasPrefixFold(b[i:], w) &&
			(i+len(w) == len(b) || !isAlnum[b[i+len(w)]] && b[i+len(w)] != '_') {
			return true
		}
	}
	return false
}

// sqlIndexFold returns the index of the first ASCII-case-insensitive match of
// word (lower case) in b outside quotes, or -1.
func sqlIndexFold(b []byte, word string) int {
	for i := 0; i+len(word) <= len(b); i++ {
		switch b[i] {
		case '\'', '"', '`':
			e := bytes.IndexByte(b[i+1:], b[i])
			if e < 0 {
				return -1
			}
			i += e + 1
			continue
		}
		if (i == 0 || !isAlnum[b[i-1]] && b[i-1] != '_') && hasPrefixFold(b[i:], word) &&
			(i+len(word) == len(b) || !isAlnum[b[i+len(word)]] && b[i+len(word)] != '_') {
			return i
		}
	}
	return -1
}

// definitionEnd returns the end of the column or constraint definition at
// p (its ',' or the table's closing ')'), and whether it closes the table.
func definitionEnd(b []byte, p int) (int, bool) {
	depth := 0
	for k := p; k < len(b); k++ {
		switch c := b[k]; c {
		case '(':
			depth++
		case ')':
			if depth == 0 {
				return k, true
			}
			depth--
		case ',':
			if depth == 0 {
				return k, false
			}
		case '\'', '"', '`':
			e := bytes.IndexByte(b[k+1:], c)
			if e < 0 {
				return -1, false
			}
			k += e + 1
		}
	}
	return -1, false
}

// tableConstraint reports whether a definition in a CREATE TABLE body is a
// constraint or an index rather than a column.
func tableConstraint(def []byte) bool {
	w := skipWord(def, 0)
	word := def[:w]
	for _, c := range sqlConstraint {
		if equalFoldASCII(word, c) {
			return true
		}
	}
	rest := skipSpace(def, w)
	switch {
	case equalFoldASCII(word, "primary") || equalFoldASCII(word, "unique"):
		return hasPrefixFold(def[rest:], "key") || hasPrefixFold(def[rest:], "index") || rest < len(def) && def[rest] == '('
	case equalFoldASCII(word, "key") || equalFoldASCII(word, "index"):
		// KEY `idx` (`a`), INDEX idx (a): not a column "key text".
		return rest > w && rest < len(def) && (def[rest] == '`' || def[rest] == '(' ||
			bytes.Contains(def[rest:], []byte(" (")))
	}
	return false
}

// sqlColumns reports the values of an SQL dump's columns in the block,
// following the statements from the context the block starts in.
func (s *Matcher) sqlColumns() {
	w := newSQLWorker(s, s.cols.sql)
	w.run()
	if len(w.notIP) > 0 {
		s.dropIPv4In(w.notIP)
	}
}

func newSQLWorker(s *Matcher, c *sqlContext) *sqlWorker {
	w := &sqlWorker{s: s, ctx: c, mode: c.mode, cur: c.cur, escapes: c.escapes, budget: 4*len(s.b) + sqlMaxRow}
	if c.create != nil {
		w.create = slices.Clone(c.create)
		w.inCrt = true
	}
	return w
}

// run follows the statements of the block.
func (w *sqlWorker) run() {
	b := w.s.b
	p := 0
	if w.ctx.midLine {
		nl := bytes.IndexByte(b, '\n')
		if nl < 0 {
			nl = len(b)
		}
		if w.mode == sqlInsert {
			p = w.line(0, nl)
		} else {
			p = nl + 1
		}
	}
	for p < len(b) {
		end := len(b)
		if nl := bytes.IndexByte(b[p:], '\n'); nl >= 0 {
			end = p + nl
		}
		p = w.line(p, end)
	}
}

// sqlWorker is a Matcher's state while it follows the statements of a
// block.
type sqlWorker struct {
	s       *Matcher
	ctx     *sqlContext
	local   map[string]*sqlCols // tables created in the block
	mode    sqlMode
	cur     *sqlCols
	escapes bool
	inCrt   bool
	create  []byte
	notIP   [][2]int // values of version columns, in order
	// The country and phone numbers of the row being read.
	country [2]int
	phones  [][2]int
	// budget is how many more bytes rows that turn out misread may
	// cost before the block gives up on finding rows again.
	budget int
	// col, for SQLValues, collects every value of every row, of tables
	// of interest or not.
	col *sqlCollect
}

// line follows the line b[p:end] and returns where the next line to
// follow starts.
func (w *sqlWorker) line(p, end int) int {
	b := w.s.b
	line := bytes.TrimRight(b[p:end], "\r")
	next := end + 1
	switch w.mode {
	case sqlCopy:
		if string(line) == `\.` {
			w.mode, w.cur = sqlNormal, nil
		} else if w.col != nil {
			w.col.copyRow(b, p, p+len(line))
		} else if w.cur != nil && w.cur.any {
			w.copyRow(p, p+len(line))
		}
		return next
	case sqlInsert:
		if w.cur.any || w.col != nil {
			return w.rows(p, end, true)
		}
		if statementEnds(line) {
			w.mode, w.cur = sqlNormal, nil
		}
		return next
	}
	if w.inCrt {
		if len(w.create) < sqlMaxCreate {
			w.create = append(append(w.create, '\n'), line...)
		}
		if statementEnds(line) {
			w.inCrt = false
			w.addTable(w.create)
		}
		return next
	}
	switch sqlStatement(line) {
	case "CREATE":
		if !createTable(line) {
			return next
		}
		if statementEnds(line) {
			w.addTable(line)
		} else {
			w.inCrt = true
			w.create = append(w.create[:0], line...)
		}
	case "INSERT":
		// The header is on the line; the rows may go on over many.
		cur, v, ok := insertHeader(b[p:end], w.ctx.tables, w.local, w.col != nil)
		if !ok {
			return next
		}
		w.mode, w.cur = sqlInsert, cur
		if w.col != nil {
			w.col.header(line, w.ctx, w.local)
		}
		if cur.any || w.col != nil {
			return w.rows(p+v, end, false)
		}
		if statementEnds(line) {
			w.mode, w.cur = sqlNormal, nil
		}
	case "COPY":
		if cur, ok := copyHeader(line, w.ctx.tables, w.local); ok {
			w.mode, w.cur = sqlCopy, cur
			if w.col != nil {
				w.col.header(line, w.ctx, w.local)
			}
		}
	case "SET":
		if bytes.Contains(line, []byte("standard_conforming_strings")) {
			w.escapes = bytes.HasSuffix(line, []byte("off;"))
		}
	}
	return next
}

// rows reports the rows of the INSERT statement from p, on the line that
// ends at end and maybe the next ones, and returns where the next line to
// follow starts.
func (w *sqlWorker) rows(p, end int, resync bool) int {
	b := w.s.b
	q, done := w.sqlRows(p, end, resync)
	if done {
		w.mode, w.cur = sqlNormal, nil
		return lineAfter(b, q)
	}
	if q >= len(b) {
		return len(b)
	}
	// Stopped inside the statement: the line it stopped on says whether
	// the statement goes on.
	ls := bytes.LastIndexByte(b[:max(q, p+1)-1], '\n') + 1
	le := len(b)
	if nl := bytes.IndexByte(b[ls:], '\n'); nl >= 0 {
		le = ls + nl
	}
	if statementEnds(b[ls:le]) {
		w.mode, w.cur = sqlNormal, nil
	}
	return le + 1
}

// lineAfter returns the start of the line after the one q is on (q itself
// when it starts a line).
func lineAfter(b []byte, q int) int {
	if q > 0 && q <= len(b) && b[q-1] == '\n' {
		return q
	}
	nl := bytes.IndexByte(b[q:], '\n')
	if nl < 0 {
		return len(b)
	}
	return q + nl + 1
}

func (w *sqlWorker) addTable(stmt []byte) {
	names, cols, ok := parseCreateTable(stmt)
	if !ok {
		return
	}
	if w.local == nil {
		w.local = map[string]*sqlCols{}
	}
	for _, n := range names {
		w.local[n] = cols
	}
}

// copyRow reports the values of one row of COPY data, b[p:end]: fields
// apart by tabs, \N for NULL.
func (w *sqlWorker) copyRow(p, end int) {
	b := w.s.b
	kinds := w.cur.kinds
	w.startRow()
	defer w.endRow()
	for _, k := range kinds {
		e := bytes.IndexByte(b[p:end], '\t')
		if e < 0 {
			e = end
		} else {
			e += p
		}
		if k != fieldNone && !(e-p == 2 && b[p] == '\\' && b[p+1] == 'N') {
			w.value(k, p, e)
		}
		if e == end {
			break
		}
		p = e + 1
	}
}

// value reports the value b[vs:ve] of a column of kind k. Phone numbers
// wait for the end of their row (see endRow), which may name its country
// after them.
func (w *sqlWorker) value(k fieldKind, vs, ve int) {
	s := w.s
	switch k {
	case fieldVersion:
		w.notIP = append(w.notIP, [2]int{vs, ve})
		return
	case fieldCountry:
		w.country = [2]int{vs, ve}
		return
	case fieldPhone:
		if dottedNumber(s.b[vs:ve]) {
			w.notIP = append(w.notIP, [2]int{vs, ve})
		}
		w.phones = append(w.phones, [2]int{vs, ve})
		return
	case fieldCardNumber:
		s.cardColumnValue(vs, ve)
		return
	case fieldHealth, fieldHealthCue:
		s.hits = append(s.hits, hit{start: vs, end: vs, kind: kwCue})
	}
	s.fieldValue(k, vs, ve)
}

// startRow forgets the country and phone numbers of the row before.
func (w *sqlWorker) startRow() {
	w.country = [2]int{}
	w.phones = w.phones[:0]
}

// endRow reports the phone numbers of a row read whole: national numbers
// in the region of the row's country column when it names one other than
// the default (a mobile column of 090-1234-5678 next to country 'JP'), as
// the country column of a CSV file does; in the default region otherwise.
func (w *sqlWorker) endRow() {
	s := w.s
	region := ""
	if w.country[1] > w.country[0] {
		region = countryRegion(s.b[w.country[0]:w.country[1]])
	}
	for _, v := range w.phones {
		if region == "" || region == s.e.region || !s.phoneFieldIn(v[0], v[1], region) {
			s.fieldValue(fieldPhone, v[0], v[1])
		}
	}
	w.phones = w.phones[:0]
}

// dropIPv4In removes the IPv4 matches inside spans (sorted, apart): the
// values of version columns.
func (s *Matcher) dropIPv4In(spans [][2]int) {
	rule := s.e.det[dIPv4]
	if rule == detNone {
		return
	}
	s.matches = slices.DeleteFunc(s.matches, func(m Match) bool {
		if m.Rule != rule {
			return false
		}
		i, found := slices.BinarySearchFunc(spans, m.Start, func(sp [2]int, x int) int {
			switch {
			case sp[1] <= x:
				return -1
			case sp[0] > x:
				return 1
			}
			return 0
		})
		return found && spans[i][0] <= m.Start && m.End <= spans[i][1]
	})
}

// sqlRows reports the values of the rows of an INSERT statement from p,
// "(v, v, ...), (...);". With resync, p is not known to start a row: the
// first row is looked for (a '(' after "),", or at p when it starts a
// line). Every row must have as many values as the statement has columns,
// or it is dropped and the next one looked for on the line of its start.
// sqlRows returns where it stopped and whether that is the statement's
// end; end is the end of the line p is on (-1: not known yet).
func (w *sqlWorker) sqlRows(p, end int, resync bool) (int, bool) {
	s := w.s
	b := s.b
	for {
		if resync {
			if p = rowStart(b, p, end); p < 0 {
				return end, false
			}
		} else {
			p = skipSpace(b, p) // VALUES, then the rows on the next lines
		}
		if p >= len(b) || b[p] != '(' {
			return p, false
		}
		nm, nh, nn := len(s.matches), len(s.hits), len(w.notIP)
		nv := 0
		if w.col != nil {
			nv = len(w.col.vals)
		}
		undo := func() {
			s.matches, s.hits, w.notIP = s.matches[:nm], s.hits[:nh], w.notIP[:nn]
			if w.col != nil {
				w.col.vals = w.col.vals[:nv]
			}
		}
		q, ok := w.sqlRow(p, w.escapes)
		if !ok && q < len(b) {
			// A row misread: try the other way of escaping strings
			// before giving up on it.
			undo()
			if q2, ok2 := w.sqlRow(p, !w.escapes); ok2 {
				w.escapes = !w.escapes
				q, ok = q2, true
			}
		}
		if ok && w.col != nil {
			w.col.rows = append(w.col.rows, SQLRow{Start: p, End: q})
		}
		if !ok {
			if q >= len(b) && !resync {
				return len(b), false // a row cut by the end of the block
			}
			undo()
			w.budget -= q - p
			if w.budget < 0 {
				return len(b), false
			}
			if end < p {
				end = len(b)
				if nl := bytes.IndexByte(b[p:], '\n'); nl >= 0 {
					end = p + nl
				}
			}
			resync = true
			if p++; p >= end {
				return end, false
			}
			continue
		}
		// After a row: "," and the next, or ';' at the end.
		q = skipSpace(b, q)
		if q >= len(b) {
			return q, false
		}
		switch b[q] {
		case ',':
			q = skipSpace(b, q+1)
			if q >= len(b) || b[q] != '(' {
				return q, false
			}
			p, resync = q, false
			end = -1 // found when needed: rows are many on a line
		case ';':
			return q + 1, true
		default:
			return q, true // ON DUPLICATE KEY UPDATE, RETURNING ...
		}
	}
}

// rowStart finds the next start of a row in b[p:end]: a '(' after ")," (in
// mysqldump's rows, "),("), or the first '(' of a line that p starts.
func rowStart(b []byte, p, end int) int {
	if p == 0 || b[p-1] == '\n' {
		if q := skipSpace(b[:end], p); q < end && b[q] == '(' {
			return q
		}
	}
	for p < end {
		k := bytes.Index(b[p:end], []byte("),"))
		if k < 0 {
			return -1
		}
		q := skipSpace(b[:end], p+k+2)
		if q < end && b[q] == '(' {
			return q
		}
		p += k + 2
	}
	return -1
}

// sqlRow parses the row "(v, ...)" at p and reports the values of the
// columns of interest. It returns the position after the row and whether
// the row was read whole with the right number of values. A row cut by
// the end of the block returns len(b) and false.
func (w *sqlWorker) sqlRow(p int, escapes bool) (int, bool) {
	b := w.s.b
	kinds := w.cur.kinds
	n := len(b)
	limit := min(n, p+sqlMaxRow)
	col := 0
	p++
	w.startRow()
	for {
		p = skipSpace(b, p)
		if p >= n {
			return n, false
		}
		ts := p // the value as written starts
		// One value: a string, or a token (a number, NULL, a function
		// call, E'...', X'...', _binary '...', '...'::type) up to ','
		// or ')' outside parentheses and strings.
		vs, ve := -1, -1
		depth := 0
	value:
		for p < n {
			if p >= limit {
				return p, false
			}
			switch c := b[p]; c {
			case '\'':
				e, ok := stringEnd(b, p, limit, escapes)
				if !ok {
					return e, false
				}
				if vs < 0 {
					vs, ve = p+1, e
				}
				p = e + 1
			case '(':
				depth++
				p++
			case ')':
				if depth == 0 {
					break value
				}
				depth--
				p++
			case ',':
				if depth == 0 {
					break value
				}
				p++
			case ';', '\n':
				if depth == 0 {
					return p, false // no row: a misread
				}
				p++
			default:
				t := p
				for t < n && (isAlnum[b[t]] || b[t] == '.' || b[t] == '-' || b[t] == '+' || b[t] == '_') {
					t++
				}
				if t == p {
					p++
					continue
				}
				if vs < 0 && depth == 0 {
					switch {
					case t < n && b[t] == '\'':
						// E'...', X'...': the string is the value.
					case t+1 < n && b[t] == ' ' && b[t+1] == '\'' && b[p] == '_':
						t++ // _binary '...', _utf8mb4 '...'
					default:
						vs, ve = p, t // 42, NULL, 2025550143
					}
				}
				p = t
			}
		}
		if p >= n {
			return n, false
		}
		open := w.cur.open
		if col >= len(kinds) && !open {
			return p, false
		}
		if w.col != nil {
			te := p
			for te > ts && (b[te-1] == ' ' || b[te-1] == '\t' || b[te-1] == '\n' || b[te-1] == '\r') {
				te--
			}
			w.col.value(col, ts, te, false)
		} else if k := kinds[col]; k != fieldNone && vs >= 0 && ve > vs {
			w.value(k, vs, ve)
		}
		col++
		if b[p] == ')' {
			if col == len(kinds) {
				w.endRow()
			}
			return p + 1, col == len(kinds) || open
		}
		p++ // ','
	}
}

// stringEnd returns the position of the quote that ends the string
// starting at the quote q: a quote not doubled (”) and, with escapes, not
// after an odd number of backslashes. It looks no further than limit; a
// string not ended there returns limit and false.
func stringEnd(b []byte, q, limit int, escapes bool) (int, bool) {
	p := q + 1
	for p < limit {
		e := bytes.IndexByte(b[p:limit], '\'')
		if e < 0 {
			break
		}
		e += p
		if escapes {
			k := e
			for k > q+1 && b[k-1] == '\\' {
				k--
			}
			if (e-k)%2 == 1 {
				p = e + 1
				continue
			}
		}
		if e+1 < len(b) && b[e+1] == '\'' {
			p = e + 2
			continue
		}
		return e, true
	}
	return limit, false
}

// SQLValue is one value of a row of an SQL dump's data (a COPY block's
// field, a value of an INSERT's row), with what its column's declared type
// lets a rewrite write in its place.
type SQLValue struct {
	Start, End int // the value as written: 'a''b', E'x', 42, NULL, \N
	Row        int // its row: an index into the rows SQLValues returns
	// Table and Column name it (Column is empty when not known).
	Table, Column string
	// Type is the column's declared type in lower case ("numeric",
	// "character varying"), or "" when no CREATE TABLE declares it.
	Type string
	// Text: the column holds any text, so a mask, of at most MaxLen
	// characters when MaxLen > 0.
	Text   bool
	MaxLen int
	// NotNull: the column is declared NOT NULL or PRIMARY KEY.
	NotNull bool
	// OwnType: the column's type is one the dump defines (a domain, an
	// enum, an extension's type), which may refuse NULL too.
	OwnType bool
	// Copy: the value is a field of COPY data, where NULL is written \N.
	Copy bool
	// Checked: a CHECK constraint names the column: it may refuse a mask
	// and NULL alike.
	Checked bool
}

// SQLRow is a row of an SQL dump's data: a line of COPY data, or an
// INSERT's "(...)".
type SQLRow struct {
	Start, End int
	Copy       bool
}

// SQLValues returns the values and rows of the data in b, a block of an
// SQL dump that starts at a line with the SQL context c (see
// SQLTracker.Columns), in order: the values b[start:end] of every table,
// not only of the columns of interest to a scan, for which keep returns
// true (nil keep: all), and every row. It returns nothing for a block of
// another stream.
func SQLValues(b []byte, c *Columns, keep func(start, end int) bool) ([]SQLValue, []SQLRow) {
	if c == nil || c.sql == nil {
		return nil, nil
	}
	w := newSQLWorker(&Matcher{b: b}, c.sql)
	w.col = &sqlCollect{keep: keep}
	if w.mode != sqlNormal {
		w.col.header(c.sql.head, c.sql, nil)
		if w.cur == nil && w.mode == sqlInsert {
			w.cur = &sqlCols{open: true}
		}
	}
	w.run()
	return w.col.vals, w.col.rows
}

// insertTable reads the table an INSERT or REPLACE statement that starts
// line writes into, and returns its name's parts and the position after it.
func insertTable(line []byte) ([]string, int, bool) {
	p := skipWord(line, 0) // INSERT or REPLACE
	for range 4 {          // LOW_PRIORITY, IGNORE, INTO
		p = skipSpace(line, p)
		w := skipWord(line, p)
		if w == p {
			return nil, 0, false
		}
		into := equalFoldASCII(line[p:w], "into")
		p = w
		if into {
			break
		}
	}
	return tableName(line, skipSpace(line, p))
}

// sqlCollect is what SQLValues collects, and the columns of the statement
// it is in.
type sqlCollect struct {
	keep  func(start, end int) bool
	vals  []SQLValue
	rows  []SQLRow
	table string
	names []string
	types []sqlType // nil: not declared
	// sqlite: types do not bind (an SQLite table not STRICT).
	sqlite bool
}

// header finds the declared columns of the INSERT or COPY statement that
// line starts.
func (c *sqlCollect) header(line []byte, ctx *sqlContext, local map[string]*sqlCols) {
	c.table, c.names, c.types, c.sqlite = "", nil, nil, false
	if line == nil {
		return
	}
	var names []string
	var p int
	ok := false
	if bytes.HasPrefix(line, []byte("COPY")) {
		names, p, ok = tableName(line, skipSpace(line, len("COPY")))
	} else {
		names, p, ok = insertTable(line)
	}
	if !ok {
		return
	}
	c.table = names[0]
	table := lookupTable(local, names)
	if table == nil {
		table = lookupTable(ctx.tables, names)
	}
	if table != nil && len(table.types) == 0 {
		table = nil
	}
	if table != nil {
		c.sqlite = ctx.sqlite && !table.strict
	}
	p = skipSpace(line, p)
	if p >= len(line) || line[p] != '(' {
		if table != nil {
			c.names, c.types = table.names, table.types
		}
		return
	}
	for p++; p < len(line); p++ {
		p = skipSpace(line, p)
		id, e, ok := identifier(line, p)
		if !ok {
			return
		}
		name := string(bytes.ToLower(id))
		c.names = append(c.names, name)
		if table != nil {
			t := sqlType{} // not declared: not known to hold text
			if i := slices.Index(table.names, name); i >= 0 {
				t = table.types[i]
			}
			c.types = append(c.types, t)
		}
		p = skipSpace(line, e)
		if p >= len(line) || line[p] != ',' {
			return
		}
	}
}

// value collects the value b[vs:ve] of column col of the current row.
func (c *sqlCollect) value(col, vs, ve int, copyData bool) {
	if c.keep != nil && !c.keep(vs, ve) {
		return
	}
	v := SQLValue{Start: vs, End: ve, Row: len(c.rows), Table: c.table, Copy: copyData}
	if col < len(c.names) {
		v.Column = c.names[col]
	}
	if col < len(c.types) {
		t := c.types[col]
		v.Type, v.Text, v.MaxLen, v.NotNull, v.OwnType, v.Checked = t.name, t.text, t.maxLen, t.notNull, t.own, t.checked
		if c.sqlite && !t.rowid {
			// SQLite keeps any value in any column of a table not
			// STRICT, whatever its declared type or length.
			v.Text, v.MaxLen = true, 0
		}
	}
	c.vals = append(c.vals, v)
}

// copyRow collects the fields of one row of COPY data, b[p:end].
func (c *sqlCollect) copyRow(b []byte, p, end int) {
	row := SQLRow{Start: p, End: end, Copy: true}
	if c.keep != nil && !c.keep(p, end) {
		c.rows = append(c.rows, row) // no value of it is wanted
		return
	}
	for col := 0; ; col++ {
		e := bytes.IndexByte(b[p:end], '\t')
		if e < 0 {
			e = end
		} else {
			e += p
		}
		c.value(col, p, e, true)
		if e == end {
			break
		}
		p = e + 1
	}
	c.rows = append(c.rows, row)
}

// SQL reports whether the context is that of a block of an SQL dump.
func (c *Columns) SQL() bool { return c != nil && c.sql != nil }
