/** Name and place lists for the demo directory: a mixed congregation in a mid-sized town. */

// biome-ignore format: a name list reads better in rows
export const FEMALE_NAMES = [
  'Abigail', 'Adaeze', 'Alice', 'Amara', 'Ana', 'Angela', 'Beatriz', 'Beth', 'Carmen', 'Caroline',
  'Charlotte', 'Chioma', 'Claire', 'Deborah', 'Diana', 'Eleanor', 'Elena', 'Elizabeth', 'Emily', 'Esther',
  'Faith', 'Fatima', 'Grace', 'Hannah', 'Helen', 'Ifeoma', 'Isabel', 'Joy', 'Julia', 'Karen',
  'Laura', 'Leah', 'Linda', 'Lucy', 'Lydia', 'Margaret', 'Maria', 'Mary', 'Martha', 'Mercy', 'Miriam',
  'Naomi', 'Nkechi', 'Olivia', 'Patience', 'Priscilla', 'Rachel', 'Rebecca', 'Rosa', 'Ruth', 'Sarah',
  'Sofia', 'Susan', 'Tabitha', 'Teresa', 'Victoria', 'Wanjiku', 'Yuki', 'Zainab', 'Mei', 'Priya',
] as const;

// biome-ignore format: a name list reads better in rows
export const MALE_NAMES = [
  'Aaron', 'Adebayo', 'Andrew', 'Anthony', 'Benjamin', 'Brian', 'Caleb', 'Carlos', 'Charles', 'Chinedu',
  'Christopher', 'Daniel', 'David', 'Diego', 'Edward', 'Emmanuel', 'Ethan', 'Francis', 'Gabriel', 'George',
  'Henry', 'Isaac', 'James', 'Jesús', 'John', 'Jonathan', 'Joseph', 'Joshua', 'Kenji', 'Kwame',
  'Luis', 'Luke', 'Mark', 'Matthew', 'Michael', 'Moses', 'Nathan', 'Nicholas', 'Oluwaseun', 'Patrick',
  'Paul', 'Peter', 'Philip', 'Rafael', 'Richard', 'Robert', 'Samuel', 'Simon', 'Stephen', 'Thomas',
  'Timothy', 'Tomás', 'Victor', 'William', 'Wei', 'Arjun', 'Kofi', 'Mateo', 'Noah', 'Elijah',
] as const;

// biome-ignore format: a name list reads better in rows
export const CHILD_NAMES = [
  'Ava', 'Mia', 'Zoe', 'Chloe', 'Ella', 'Lily', 'Amelia', 'Nia', 'Ruby', 'Layla',
  'Liam', 'Leo', 'Jacob', 'Micah', 'Levi', 'Eli', 'Jayden', 'Owen', 'Zion', 'Ezra',
] as const;

// biome-ignore format: a name list reads better in rows
export const LAST_NAMES = [
  'Adams', 'Adeyemi', 'Afolabi', 'Allen', 'Alvarez', 'Anderson', 'Asante', 'Baker', 'Bennett', 'Boateng',
  'Brooks', 'Brown', 'Campbell', 'Carter', 'Castillo', 'Chen', 'Clark', 'Collins', 'Cooper', 'Cruz',
  'Davies', 'Diaz', 'Edwards', 'Eze', 'Evans', 'Fernandes', 'Fisher', 'Flores', 'Foster', 'Garcia',
  'Gomez', 'Gonzalez', 'Gray', 'Green', 'Hall', 'Harris', 'Hayes', 'Hughes', 'Ibrahim', 'Jackson',
  'James', 'Jenkins', 'Johnson', 'Jones', 'Kamau', 'Kim', 'King', 'Kowalski', 'Lee', 'Lewis',
  'Lopez', 'Martin', 'Martinez', 'Mensah', 'Miller', 'Mitchell', 'Moore', 'Morales', 'Morgan', 'Murphy',
  'Mwangi', 'Nakamura', 'Nguyen', 'Nelson', 'Nwosu', "O'Brien", 'Obi', 'Okeke', 'Oliveira', 'Ortiz',
  'Owusu', 'Park', 'Parker', 'Patel', 'Perez', 'Phillips', 'Ramirez', 'Reed', 'Reyes', 'Richardson',
  'Rivera', 'Roberts', 'Robinson', 'Rodriguez', 'Ross', 'Sanchez', 'Santos', 'Scott', 'Silva', 'Singh',
  'Smith', 'Stewart', 'Sullivan', 'Taylor', 'Thomas', 'Thompson', 'Torres', 'Turner', 'Walker', 'Ward',
  'Watson', 'White', 'Williams', 'Wilson', 'Wood', 'Wright', 'Young', 'Zhang', 'Achieng', 'Otieno',
] as const;

// biome-ignore format: a name list reads better in rows
export const STREETS = [
  'Maple Street', 'Oak Avenue', 'Cedar Lane', 'Elm Street', 'Willow Way', 'Park Road', 'Hillside Drive',
  'Church Street', 'Mill Road', 'River Road', 'Station Road', 'Orchard Close', 'Chestnut Avenue',
  'Meadow Lane', 'Victoria Road', 'Kings Road', 'Queens Drive', 'Sunset Boulevard', 'Lakeview Terrace',
  'Pine Crescent', 'Birch Grove', 'Highland Avenue', 'Spring Street', 'Garden Court',
] as const;

export const TOWNS = [
  ['Springfield', '62701'],
  ['Springfield', '62702'],
  ['Springfield', '62704'],
  ['Chatham', '62629'],
  ['Rochester', '62563'],
  ['Sherman', '62684'],
] as const;

/** 555-01xx numbers are set aside for fiction, so no real person is dialled. */
export function phoneNumber(n: number): string {
  return `(217) 555-01${String(n % 100).padStart(2, '0')}`;
}

/** A plain e-mail local part: "Jesús O'Brien" → "jesus.obrien". */
export function emailPart(first: string, last: string): string {
  const plain = (s: string) =>
    s
      .normalize('NFD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z]/g, '');
  return `${plain(first)}.${plain(last)}`;
}
